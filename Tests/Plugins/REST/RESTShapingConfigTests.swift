import FerryJSON
import FerryPluginSDK
import Foundation
import Testing

/// The rest `.so`'s checks of `detail:`, `children:`, `requests:` and `pagination.stop`:
/// each mistake is refused at open with the key and where it is.
@Suite struct RESTShapingConfigTests {
    static func error(_ stream: String) throws -> String {
        let object = try #require(try JSONValue(parsing: stream).objectValue)
        let error = try #require(throws: PluginError.self) {
            _ = try PluginInstance("rest", config: ["streams": [.object(object)]])
        }
        return error.message
    }

    @Test func mistakesNameTheKeyAndWhere() throws {
        let cases: [(stream: String, message: String)] = [
            (
                #"{"name":"ro","path":"x","primary_key":"id","requests":[{"board":"A"}],"request_fields":["boards"]}"#,
                "config.streams[0].request_fields: no list of requests: sets 'boards'"
            ),
            (
                #"{"name":"ro","path":"x","primary_key":"id","requests":[{"query":{"board":"A"},"cursor_field":"d"}]}"#,
                "config.streams[0].requests[0].cursor_field needs the stream's cursor_field"
            ),
            (
                #"{"name":"ro","path":"x","primary_key":"id","detail":{"path":"ro/{id}","mode":"swap"}}"#,
                "config.streams[0].detail.mode must be one of merge, replace, got 'swap'"
            ),
            (
                #"{"name":"ro","path":"x","detail":{"path":"ro/static"}}"#,
                "config.streams[0].detail.path must name a field of the listed record"
            ),
            (
                #"{"name":"ro","path":"x","detail":{"path":"ro/{id}","concurrency":0}}"#,
                "config.streams[0].detail.concurrency must be at least 1, got 0"
            ),
            (
                #"{"name":"ro","path":"x","detail":{"path":"ro/{id}","reject_statuses":[404,429]}}"#,
                "config.streams[0].detail.reject_statuses must be a list of 4xx statuses other than 401 and 429"
            ),
            (
                #"{"name":"ro","path":"x","detail":{"path":"ro/{id}","mode":"replace","into":"d"}}"#,
                "config.streams[0].detail.into needs mode: merge"
            ),
            (
                #"{"name":"ro","path":"x","detail":{"path":"ro/{id}","also":{"path":"e/{id}"}}}"#,
                "config.streams[0].detail.also must be a list of objects, got an object"
            ),
            (
                #"{"name":"ro","path":"x","detail":{"path":"ro/{id}","also":[{"path":"e/{id}"}]}}"#,
                "config.streams[0].detail.also[0] needs into: (the key its response goes under)"
            ),
            (
                #"{"name":"ro","path":"x","detail":{"path":"ro/{id}","also":[{"path":"e/{id}","mode":"replace"}]}}"#,
                "config.streams[0].detail.also[0].mode must be merge: a further request completes the record, it cannot replace it"
            ),
            (
                #"{"name":"ro","path":"x","detail":{"path":"ro/{id}","also":[{"path":"e/{id}","into":"e","also":[]}]}}"#,
                "config.streams[0].detail.also[0].also is only allowed on the stream's detail itself"
            ),
            (
                #"{"name":"ro","path":"x","detail":{"path":"ro/{id}","fields":"a"}}"#,
                "config.streams[0].detail: unknown key 'fields'"
            ),
            (
                #"{"name":"ro","path":"x","requests":[{"board":"ACTIVE"}]}"#,
                "config.streams[0].requests needs primary_key"
            ),
            (
                #"{"name":"ro","path":"x","primary_key":"id","requests":["ACTIVE"]}"#,
                "config.streams[0].requests[0] must be an object of query parameters"
            ),
            (
                #"{"name":"ro","path":"x","pagination":{"type":"page","stop":"never"}}"#,
                "config.streams[0].pagination.stop must be one of short_page, empty_page, got 'never'"
            ),
            (
                #"{"name":"ro","path":"x","pagination":{"type":"cursor","next_path":"n","stop":"empty_page"}}"#,
                "config.streams[0].pagination: unknown key 'stop' for type cursor"
            ),
            (
                #"{"name":"c","path":"x","children":[{"name":"p","path":"c/{id}/p"}]}"#,
                "config.streams[0].children[0].parent_field is required"
            ),
            (
                #"{"name":"c","path":"x","primary_key":"id","children":[{"name":"c","path":"c/{id}/p"}]}"#,
                "config: two streams are named 'c'"
            ),
        ]
        for (stream, message) in cases {
            let error = try Self.error(stream)
            #expect(error.contains(message), "\(stream): \(error)")
        }
    }

    @Test func childStreamsAreDiscoveredWithTheirKeys() throws {
        let instance = try PluginInstance(
            "rest",
            config: [
                "streams": [
                    [
                        "name": "clients", "path": "clients", "primary_key": "id",
                        "children": [["name": "pianos", "path": "clients/{id}/pianos", "primary_key": "id"]],
                    ]
                ]
            ])
        let streams = try instance.discover().streams
        #expect(streams.map(\.name) == ["clients", "pianos"])
        #expect(streams.last?.primaryKey == ["id"])
    }
}
