// GET /status: the pool at a glance, as php-fpm's status page; plain text, or JSON with ?json.
// nginx lets only the addresses the operator allows reach it (nginx/site.conf.in).

import FastCGI
import Foundation

enum PoolStatus {
    struct Report: Encodable, Sendable {
        struct Worker: Encodable, Sendable {
            let pid: Int32
            let state: String
            let startedAt: String
            let threads: Int
            let busyThreads: Int
            let requests: Int

            enum CodingKeys: String, CodingKey {
                case pid, state, threads, requests
                case startedAt = "started_at"
                case busyThreads = "busy_threads"
            }
        }

        let startedAt: String
        let uptimeSeconds: Int
        let workers: [Worker]
        let threads: Int
        let busyThreads: Int
        let acceptedConnections: Int
        let requests: Int
        let allThreadsBusy: Int
        let slowRequests: Int
        let recycles: Int
        let reloads: Int
        let restarts: Int
        /// Nil when PostgreSQL did not answer.
        let backlog: OperationsStore.Backlog?

        enum CodingKeys: String, CodingKey {
            case workers, threads, requests, recycles, reloads, restarts, backlog
            case startedAt = "started_at"
            case uptimeSeconds = "uptime_seconds"
            case busyThreads = "busy_threads"
            case acceptedConnections = "accepted_connections"
            case allThreadsBusy = "all_threads_busy"
            case slowRequests = "slow_requests"
        }
    }

    @Sendable static func status(_ context: inout RequestContext) throws -> Reply {
        guard let pool = Scoreboard.shared?.snapshot() else {
            // A worker started on its own (no master): nothing to report on.
            throw HTTPError.serviceUnavailable
        }
        let backlog = try? OperationsStore(db: context.db()).backlog()
        let report = report(pool, backlog: backlog, now: Date())
        if try context.query()["json"] != nil { return .json(report) }
        return Reply.document(Array(text(report).utf8), contentType: "text/plain; charset=utf-8").header("Cache-Control", "no-store")
    }

    static func report(_ pool: Scoreboard.Snapshot, backlog: OperationsStore.Backlog?, now: Date) -> Report {
        let started = Date(timeIntervalSince1970: TimeInterval(pool.startedAt))
        let workers = pool.workers.map {
            Report.Worker(pid: $0.pid, state: name($0.state),
                          startedAt: RFC3339.string(Date(timeIntervalSince1970: TimeInterval($0.startedAt))),
                          threads: $0.threads, busyThreads: $0.busyThreads, requests: $0.requests)
        }
        return Report(startedAt: RFC3339.string(started), uptimeSeconds: max(0, Int(now.timeIntervalSince(started))), workers: workers,
                      threads: workers.reduce(0) { $0 + $1.threads }, busyThreads: workers.reduce(0) { $0 + $1.busyThreads },
                      acceptedConnections: pool.acceptedConnections, requests: pool.routes.reduce(0) { $0 + $1.count },
                      allThreadsBusy: pool.allThreadsBusy, slowRequests: pool.slowRequests,
                      recycles: pool.recycles, reloads: pool.reloads, restarts: pool.restarts, backlog: backlog)
    }

    private static func name(_ state: Scoreboard.WorkerState) -> String {
        switch state {
        case .starting: return "starting"
        case .serving: return "serving"
        case .draining: return "draining"
        case .free: return "free"
        }
    }

    /// Aligned `name: value` lines, then one line per worker.
    static func text(_ report: Report) -> String {
        func count(_ state: String) -> Int { report.workers.filter { $0.state == state }.count }
        var lines: [(String, String)] = [
            ("start time", report.startedAt),
            ("uptime seconds", "\(report.uptimeSeconds)"),
            ("workers", "\(count("serving")) serving, \(count("draining")) draining, \(count("starting")) starting"),
            ("threads", "\(report.threads) (\(report.busyThreads) busy, \(report.threads - report.busyThreads) idle)"),
            ("accepted connections", "\(report.acceptedConnections)"),
            ("requests", "\(report.requests)"),
            ("all threads busy", "\(report.allThreadsBusy)"),
            ("slow requests", "\(report.slowRequests)"),
            ("recycles", "\(report.recycles)"),
            ("reloads", "\(report.reloads)"),
            ("restarts", "\(report.restarts)"),
        ]
        if let backlog = report.backlog {
            lines += [("queued images", "\(backlog.queued)"), ("running images", "\(backlog.running)"),
                      ("oldest queued seconds", String(format: "%.0f", backlog.oldestQueuedSeconds)),
                      ("mail pending", "\(backlog.mailPending)")]
        } else {
            lines.append(("database", "unreachable"))
        }
        var text = lines.map { ($0.0 + ":").padding(toLength: 23, withPad: " ", startingAt: 0) + $0.1 }.joined(separator: "\n") + "\n"
        text += "\npid      state     started               threads  busy  requests\n"
        for worker in report.workers {
            text += String(format: "%-8d %-9@ %-21@ %7d %5d %9d\n", worker.pid, worker.state as NSString, worker.startedAt as NSString,
                           worker.threads, worker.busyThreads, worker.requests)
        }
        return text
    }
}
