import ArgumentParser
import FerryCore
import FerryServe
import Foundation
import Logging

extension Serve {
    /// `ferry serve --worker`: the configuration's scheduled pipelines as units of the shared
    /// queue in the PostgreSQL state store, run by this process among the others.
    func runWorker(zone: TimeZone, level: Logger.Level, logger: Logger) throws {
        let sites: ServeSites
        do {
            sites = try ServeSites(
                configPath: global.configPath, site: global.site, defaultTimeZone: zone, logLevel: level,
                jsonLogs: global.json)
        } catch {
            printError("\(error)")
            throw ExitCode(ExitStatus.usage)
        }
        guard let workspace = sites.sites.first?.workspace else {
            printError("\(sites.configFile): no site to serve")
            throw ExitCode(ExitStatus.usage)
        }
        guard let queue = workspace.store as? any WorkUnitQueue else {
            printError(
                "ferry serve --worker needs the state on PostgreSQL (state: postgres://… in \(sites.configFile), "
                    + "or FERRY_STATE_URL): workers on several machines must share one store, and the state here is "
                    + "the SQLite file \(workspace.config.stateDescription)")
            throw ExitCode(ExitStatus.usage)
        }
        let worker: ServeWorker
        do {
            worker = try ServeWorker(
                backend: sites, queue: queue,
                options: .init(id: workerID ?? ServeWorker.Options.defaultID, maxUnits: maxUnits), logger: logger)
        } catch {
            printError(workspace.redactor.redact("\(error)"))
            throw ExitCode(ExitStatus.failure)
        }
        logger.notice(
            "Serving as a worker.",
            metadata: [
                "config": "\(sites.configFile)", "state": "\(workspace.config.stateDescription)",
                "time_zone": "\(zone.identifier)",
            ])
        let status = ServeService.run(worker: worker, logger: logger)
        if status != 0 { throw ExitCode(status) }
    }
}
