import FerryTesting
import Foundation
import Testing

/// The functions a REST → SQLite run executes are laid out first, in the order a
/// `symbol-order.txt` lists them (Package.swift's `ordersSymbols(by:)`), so that a run maps less
/// of the code: `ferry`'s and the two connectors'. A build that loses the setting still runs,
/// so only the built file's symbol table shows it.
@Suite struct SymbolOrderTests {
    /// Each ordered file, its list, and the modules of this package compiled a function to a
    /// section into it (other modules' functions move with their whole source file, in its order).
    static let ordered: [(file: String, list: String, modules: Set<String>)] = [
        (
            "ferry", "Host/ferry/symbol-order.txt",
            [
                "FerryCore", "FerryState", "FerryStatePostgres", "FerryHTTP", "FerryLoader", "FerryEngine",
                "FerrySchedule", "FerryServe", "FerryKit", "FerryCLI",
            ]
        ),
        ("libferry-rest.so", "Plugins/rest/symbol-order.txt", ["RESTPlugin"]),
        ("libferry-sqlite.so", "Plugins/sqlite/symbol-order.txt", ["SQLitePlugin"]),
    ]

    /// The addresses of a built file's functions, by name.
    static func functionAddresses(in file: String) throws -> [String: UInt64] {
        let path = Sandbox.buildFolder.appendingPathComponent(file).path
        let table = try Sandbox.outputLines(of: "/usr/bin/env", ["nm", "--defined-only", path])
        var byName: [String: UInt64] = [:]
        for row in table {
            let fields = row.split(separator: " ")
            guard fields.count == 3, "tT".contains(fields[1]), let address = UInt64(fields[0], radix: 16) else {
                continue
            }
            byName[String(fields[2])] = address
        }
        return byName
    }

    /// The module of a Swift function's mangled name (`$s9FerryCore...` is FerryCore's).
    static func module(of name: String) -> String? {
        guard name.hasPrefix("$s") else { return nil }
        let digits = name.dropFirst(2).prefix { $0.isNumber }
        guard let length = Int(digits) else { return nil }
        return String(name.dropFirst(2 + digits.count).prefix(length))
    }

    /// Twenty listed functions in the list's order by chance would be one layout in 20!.
    @Test(arguments: ordered.indices)
    func theListedFunctionsAreLaidOutInTheListsOrderAtTheStart(_ index: Int) throws {
        let (file, list, modules) = Self.ordered[index]
        let names = try String(contentsOf: Fixtures.repoRoot.appendingPathComponent(list), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let byName = try Self.functionAddresses(in: file)
        let own = names.filter { Self.module(of: $0).map(modules.contains) ?? false }.compactMap { byName[$0] }
        try #require(own.count >= 20, "only \(own.count) of the functions \(list) lists are in \(file)")
        let first = Array(own.prefix(20))
        #expect(first == first.sorted(), "the first functions \(list) lists are not laid out in its order in \(file)")
        // Laid out at the start: a run's code is a small part of the whole.
        let all = byName.values.sorted()
        let after = all.filter { $0 > first.max()! }.count
        #expect(after > all.count * 3 / 4, "only \(after) of \(all.count) functions follow the listed ones in \(file)")
    }
}
