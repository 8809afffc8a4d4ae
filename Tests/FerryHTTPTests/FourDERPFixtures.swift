import FerryJSON
import FerryTesting
import Foundation

/// The legacy ERP's data as the 4D simulator serves it, and pyERP's Django tables as its
/// migrations create them, for the `examples/4d-erp` tests.
enum FourDERPFixtures {
    // MARK: - 4D tables

    /// `Artikel_Familie`: parent products. F3…F6 fill extra pages.
    static let families: [JSONObject] =
        [
            [
                "__KEY": "F1", "Nummer": "11400", "Bezeichnung": "Holzregal Eiche", "Bezeichnung_ENG": "Oak shelf",
                "Beschreibung": nil, "Gewicht": 2.5, "modified_date": "2025-01-01T00:00:01Z",
            ],
            [
                "__KEY": "F2", "Nummer": " 11500 ", "Bezeichnung": "Hängeleuchte", "Bezeichnung_ENG": nil,
                "Beschreibung": "Aus Messing", "Beschreibung_ENG": "Brass", "Gewicht": 0.75,
                "modified_date": "2025-01-01T00:00:02Z",
            ],
        ]
        + (3...6).map { (n: Int) -> JSONObject in
            [
                "__KEY": .string("F\(n)"), "Nummer": .string("2000\(n)"), "Bezeichnung": .string("Familie \(n)"),
                "Gewicht": .int(Int64(n)), "modified_date": .string("2025-01-01T00:00:0\(n)Z"),
            ]
        }

    /// The family whose variant arrives first (`90000-XL`): served only when a test adds it.
    static let lateFamily: JSONObject = [
        "__KEY": "F9", "Nummer": "90000", "Bezeichnung": "Späte Familie", "Gewicht": 1,
        "modified_date": "2025-03-01T00:00:00Z",
    ]

    static func prices(_ list: [(String, JSONValue)]) -> JSONValue {
        .array(list.map { .object(["Art": .string($0.0), "Preis": $0.1]) })
    }

    /// `Artikel_Variante`: variants, each naming its family by number.
    static let variants: [JSONObject] =
        [
            [
                "__KEY": "V1", "Nummer": " 11400-BE ", "alteNummer": "11400-BE", "fk_ArtNr": nil, "refOld": "R-77",
                "Bezeichnung": "Holzregal Eiche, beige", "Bezeichnung_ENG": "Oak shelf, beige", "Beschreibung": nil,
                "Gewicht": 2.75, "ArtGr": "RG", "Haengend": false, "Einseitig": true, "Neu": true,
                "Verkaufsartikel": true, "Release_date": "5!10!2013", "Auslaufdatum": "0!0!0", "Familie_": "F1",
                "ArtikelArt": "BE", "Farbe": "beige", "Groesse": "L",
                "Coll": prices([("Laden", 129.9), ("Handel", 64.95), ("Empf", 139), ("Einkauf", 31.1)]),
                "active": true, "modified_date": "2025-01-02T00:00:01Z",
            ],
            [
                "__KEY": "V2", "Nummer": "11400-NA", "alteNummer": "11400-NA", "Bezeichnung": "Holzregal Eiche, natur",
                "Gewicht": 2.75, "Release_date": "31!12!2024", "Auslaufdatum": "1!1!2030", "Familie_": "F1",
                "ArtikelArt": "", "Coll": prices([("Laden", 99.99)]), "active": true,
                "modified_date": "2025-01-02T00:00:02Z",
            ],
            [
                "__KEY": "V3", "Nummer": "11500-01", "alteNummer": "A-115-01", "fk_ArtNr": "11500",
                "Bezeichnung": "Hängeleuchte Messing", "Gewicht": "0.8", "Familie_": "F2", "ArtikelArt": "01",
                "Release_date": "1!2!2020", "Coll": prices([]), "active": true, "modified_date": "2025-01-02T00:00:03Z",
            ],
            [
                "__KEY": "V4", "Nummer": "11500-99", "alteNummer": "11500-99", "Bezeichnung": "Ausgelaufen",
                "Familie_": "F2", "active": false, "modified_date": "2025-01-02T00:00:04Z",
            ],
            [
                "__KEY": "V5", "Nummer": "11500-02", "alteNummer": "11500-02", "Bezeichnung": "Falsch gewogen",
                "Gewicht": -1, "Familie_": "F2", "active": true, "modified_date": "2025-01-02T00:00:05Z",
            ],
            [
                "__KEY": "V6", "Nummer": "90000-XL", "alteNummer": "90000-XL", "Bezeichnung": "Vor der Familie da",
                "Gewicht": 1, "Familie_": "F9", "active": true, "modified_date": "2025-01-02T00:00:06Z",
            ],
        ]
        + (3...6).flatMap { (n: Int) -> [JSONObject] in
            ["S", "M"].map { (size: String) -> JSONObject in
                [
                    "__KEY": .string("V\(n)\(size)"), "Nummer": .string("2000\(n)-\(size)"),
                    "alteNummer": .string("2000\(n)-\(size)"), "Bezeichnung": .string("Variante \(n) \(size)"),
                    "Gewicht": .int(Int64(n)), "Familie_": .string("F\(n)"), "Groesse": .string(size),
                    "Coll": prices([("Laden", .string("1\(n).5")), ("Handel", 5)]), "active": true,
                    "Release_date": "0!0!0", "modified_date": .string("2025-01-03T00:0\(n):0\(size == "S" ? 1 : 2)Z"),
                ]
            }
        }

    /// Variants written by a first run: active ones, minus V5 (negative weight) and V6
    /// (its family is not there yet).
    static let writtenVariants = 11

    /// `Kunden`. `modified_date` is not the customers' cursor (`last_modified` is): its
    /// values here lie in the past on purpose.
    static let customers: [JSONObject] = [
        [
            "__KEY": "K1", "KundenNr": 10001, "AdrNr": 501, "Kundengr": "H", "Liefersperre": false, "Preisgru": 2,
            "USt_IdNr": "DE123456789", "Zahlungsart": "RE", "Versandart": "DHL", "Kreditlimit": "12345678,90",
            "Rabatt": 2.5, "SkontoTage": 14, "NettoTage": "30", "active": true,
            "last_modified": "2025-02-01T00:00:01Z", "modified_date": "2020-01-01T00:00:00Z",
        ],
        [
            "__KEY": "K2", "KundenNr": " 10002 ", "AdrNr": 502, "Kundengr": "E", "Liefersperre": true, "USt_IdNr": nil,
            "Kreditlimit": 0, "Rabatt": nil, "active": true, "last_modified": "2025-02-01T00:00:02Z",
            "modified_date": "2020-01-01T00:00:00Z",
        ],
        [
            "__KEY": "K3", "KundenNr": 10003, "Kundengr": "X", "active": false,
            "last_modified": "2025-02-01T00:00:03Z", "modified_date": "2020-01-01T00:00:00Z",
        ],
    ]

    /// `Adressen`, each naming its customer by number.
    static let addresses: [JSONObject] = [
        [
            "__KEY": "A1", "KundenNr": 10001, "AdrNr": 501, "Name1": "Möbel Müller GmbH", "Name2": nil,
            "Strasse": "Hauptstr. 1", "PLZ": "50667", "Ort": "Köln", "Land": "DE", "Telefon": "+49 221 1234",
            "eMail": "info@moebel-mueller.example", "active": true, "modified_date": "2025-02-02T00:00:01Z",
        ],
        [
            "__KEY": "A2", "KundenNr": "10002", "AdrNr": 502, "Name1": "Lampen Lutz", "Strasse": "Ring 5",
            "PLZ": 80331, "Ort": "München", "Land": "DE", "eMail": " einkauf@lampen.example ", "active": true,
            "modified_date": "2025-02-02T00:00:02Z",
        ],
        [
            "__KEY": "A3", "KundenNr": 10002, "AdrNr": 503, "Name1": "Lampen Lutz Lager", "eMail": "kein-at-zeichen",
            "active": true, "modified_date": "2025-02-02T00:00:03Z",
        ],
    ]

    /// A simulator serving all four tables.
    static func simulator(licences: Int = 3) throws -> FourDSimulator {
        let simulator = try FourDSimulator(licences: licences)
        simulator.upsert("Artikel_Familie", families)
        simulator.upsert("Artikel_Variante", variants)
        simulator.upsert("Kunden", customers)
        simulator.upsert("Adressen", addresses)
        return simulator
    }

    // MARK: - Django's tables

    /// What `manage.py migrate` creates for pyERP's `products` and `sales` apps (the columns
    /// the sync fills, Django's id, timestamps Ferry never sends, and the constraints).
    static func migration(schema: String) -> String {
        """
        CREATE SCHEMA \(schema);
        SET search_path TO \(schema);
        CREATE TABLE products_parentproduct (
            id bigserial PRIMARY KEY,
            sku varchar(50) NOT NULL UNIQUE,
            base_sku varchar(50) NOT NULL DEFAULT '',
            legacy_id varchar(50) NOT NULL DEFAULT '',
            name varchar(255) NOT NULL DEFAULT '',
            name_en varchar(255) NOT NULL DEFAULT '',
            description text NOT NULL DEFAULT '',
            description_en text NOT NULL DEFAULT '',
            weight numeric(10,3) NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE products_variantproduct (
            id bigserial PRIMARY KEY,
            sku varchar(50) NOT NULL UNIQUE,
            parent_id bigint NULL REFERENCES products_parentproduct(id) DEFERRABLE INITIALLY DEFERRED,
            base_sku varchar(50) NOT NULL DEFAULT '',
            variant_code varchar(10) NOT NULL DEFAULT '',
            legacy_id varchar(50) NOT NULL DEFAULT '',
            legacy_parent_id varchar(50) NOT NULL DEFAULT '',
            legacy_sku varchar(50) NOT NULL DEFAULT '',
            legacy_ref varchar(50) NOT NULL DEFAULT '',
            name varchar(255) NOT NULL DEFAULT '',
            name_en varchar(255) NOT NULL DEFAULT '',
            description text NOT NULL DEFAULT '',
            description_en text NOT NULL DEFAULT '',
            weight numeric(10,3) NULL,
            category_code varchar(20) NOT NULL DEFAULT '',
            is_hanging boolean NOT NULL DEFAULT false,
            is_one_sided boolean NOT NULL DEFAULT false,
            is_new boolean NOT NULL DEFAULT false,
            is_sales_item boolean NOT NULL DEFAULT false,
            release_date date NULL,
            discontinued_on date NULL,
            color varchar(50) NOT NULL DEFAULT '',
            size varchar(50) NOT NULL DEFAULT '',
            price_laden numeric(10,2) NULL,
            price_handel numeric(10,2) NULL,
            price_empf numeric(10,2) NULL,
            price_einkauf numeric(10,2) NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX products_variantproduct_parent_id ON products_variantproduct (parent_id);
        CREATE TABLE sales_customer (
            id bigserial PRIMARY KEY,
            customer_number varchar(50) NOT NULL UNIQUE,
            legacy_id varchar(50) NOT NULL DEFAULT '',
            legacy_address_number varchar(50) NOT NULL DEFAULT '',
            customer_group varchar(20) NOT NULL DEFAULT '',
            delivery_block boolean NOT NULL DEFAULT false,
            price_group varchar(20) NOT NULL DEFAULT '',
            vat_id varchar(50) NOT NULL DEFAULT '',
            payment_method varchar(20) NOT NULL DEFAULT '',
            shipping_method varchar(20) NOT NULL DEFAULT '',
            credit_limit numeric(14,2) NULL,
            discount_percentage numeric(5,2) NULL,
            payment_terms_discount_days integer NULL,
            payment_terms_net_days integer NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE sales_address (
            id bigserial PRIMARY KEY,
            legacy_id varchar(50) NOT NULL UNIQUE,
            address_number varchar(50) NOT NULL DEFAULT '',
            customer_id bigint NOT NULL REFERENCES sales_customer(id) DEFERRABLE INITIALLY DEFERRED,
            company_name varchar(255) NOT NULL DEFAULT '',
            company_name_2 varchar(255) NOT NULL DEFAULT '',
            street varchar(255) NOT NULL DEFAULT '',
            postal_code varchar(20) NOT NULL DEFAULT '',
            city varchar(100) NOT NULL DEFAULT '',
            country varchar(2) NOT NULL DEFAULT '',
            phone varchar(50) NOT NULL DEFAULT '',
            email varchar(254) NOT NULL DEFAULT ''
        );
        """
    }

    /// Every table's rows as text, links shown as the linked row's key (ids depend on
    /// the order rows were first inserted), ordered by key.
    static func contents(_ database: FourDDatabase) throws -> [String] {
        let s = database.schema
        return try database.query(
            """
            SELECT legacy_id, sku, base_sku, name, name_en, description, description_en, weight
              FROM \(s).products_parentproduct ORDER BY sku
            """)
            + database.query(
                """
                SELECT v.legacy_id, v.sku, coalesce(p.sku, '-'), v.base_sku, v.variant_code, v.legacy_parent_id,
                       v.legacy_sku, v.legacy_ref, v.name, v.name_en, v.description, v.description_en, v.weight,
                       v.category_code, v.is_hanging, v.is_one_sided, v.is_new, v.is_sales_item, v.release_date,
                       v.discontinued_on, v.color, v.size, v.price_laden, v.price_handel, v.price_empf, v.price_einkauf
                  FROM \(s).products_variantproduct v LEFT JOIN \(s).products_parentproduct p ON p.id = v.parent_id
                 ORDER BY v.sku
                """)
            + database.query(
                """
                SELECT legacy_id, customer_number, legacy_address_number, customer_group, delivery_block, price_group,
                       vat_id, payment_method, shipping_method, credit_limit, discount_percentage,
                       payment_terms_discount_days, payment_terms_net_days
                  FROM \(s).sales_customer ORDER BY customer_number
                """)
            + database.query(
                """
                SELECT a.legacy_id, a.address_number, c.customer_number, a.company_name, a.company_name_2, a.street,
                       a.postal_code, a.city, a.country, a.phone, a.email
                  FROM \(s).sales_address a JOIN \(s).sales_customer c ON c.id = a.customer_id ORDER BY a.legacy_id
                """)
    }
}

/// A schema of the test PostgreSQL (scripts/test.sh's, `FERRY_TEST_PG_DSN`) holding
/// Django's tables, dropped when the test ends.
final class FourDDatabase {
    let dsn: String
    let schema = "pyerp_\(UInt32.random(in: 0...UInt32.max))"

    init(dsn: String) throws {
        self.dsn = dsn
        _ = try query(FourDERPFixtures.migration(schema: schema))
    }

    deinit { _ = try? query("SET client_min_messages = warning; DROP SCHEMA IF EXISTS \(schema) CASCADE") }

    func query(_ sql: String) throws -> [String] {
        try Sandbox.outputLines(of: "/usr/bin/psql", [dsn, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
    }

    /// Each row's physical version (`xmin`) with its key: a row rewritten, even with
    /// the same values, gets a new one.
    func versions() throws -> [String] {
        try ["products_parentproduct", "products_variantproduct", "sales_customer", "sales_address"].flatMap {
            try query("SELECT '\($0)', id, xmin FROM \(schema).\($0) ORDER BY id")
        }
    }
}
