extension JSONObject: ExpressibleByDictionaryLiteral {
    /// `["id": 1, "name": "a"]` keeps the written order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements.map { (key: $0.0, value: $0.1) })
    }
}
