// The pool as the shared scoreboard shows it, for /metrics and /status.

import FastCGI
import Foundation

extension PrometheusText {
    /// Requests by route and status class, their durations, and the pool's processes and threads.
    mutating func addPool(_ pool: Scoreboard.Snapshot) {
        family("pictor_http_requests_total", .counter, "Requests answered by the pool, by route and status class.")
        for route in pool.routes {
            for (index, count) in route.byStatusClass.enumerated() where count > 0 {
                sample("pictor_http_requests_total", Self.label("route", route.route) + "," + Self.label("code", "\(index + 1)xx"), Double(count))
            }
        }
        family("pictor_http_request_duration_seconds", .histogram, "Time from reading a request to having written its answer, by route.")
        for route in pool.routes where route.count > 0 {
            let routeLabel = Self.label("route", route.route)
            var cumulative = 0
            for (index, bound) in Scoreboard.latencyBuckets.enumerated() {
                cumulative += route.byDuration[index]
                sample("pictor_http_request_duration_seconds_bucket", routeLabel + "," + Self.label("le", Self.number(bound)), Double(cumulative))
            }
            sample("pictor_http_request_duration_seconds_bucket", routeLabel + ",le=\"+Inf\"", Double(route.count))
            sample("pictor_http_request_duration_seconds_sum", routeLabel, route.secondsTotal)
            sample("pictor_http_request_duration_seconds_count", routeLabel, Double(route.count))
        }
        family("pictor_pool_workers", .gauge, "Worker processes: starting, serving, or draining (recycling, reloaded).")
        for (state, name) in [(Scoreboard.WorkerState.starting, "starting"), (.serving, "serving"), (.draining, "draining")] {
            sample("pictor_pool_workers", Self.label("state", name), Double(pool.workers.filter { $0.state == state }.count))
        }
        let threads = pool.workers.reduce(0) { $0 + $1.threads }, busy = pool.workers.reduce(0) { $0 + $1.busyThreads }
        family("pictor_pool_threads", .gauge, "Request threads of all workers, busy with a request or idle.")
        sample("pictor_pool_threads", "state=\"busy\"", Double(busy))
        sample("pictor_pool_threads", "state=\"idle\"", Double(max(0, threads - busy)))
        family("pictor_pool_connections_accepted_total", .counter, "Connections from nginx accepted by workers.")
        sample("pictor_pool_connections_accepted_total", Double(pool.acceptedConnections))
        family("pictor_pool_all_threads_busy_total", .counter,
               "Requests that left their worker without an idle thread: the next one waited (php-fpm's max children reached).")
        sample("pictor_pool_all_threads_busy_total", Double(pool.allThreadsBusy))
        family("pictor_pool_slow_requests_total", .counter, "Requests that took at least server.slow_request seconds.")
        sample("pictor_pool_slow_requests_total", Double(pool.slowRequests))
        family("pictor_pool_worker_recycles_total", .counter, "Workers replaced after server.max_requests requests.")
        sample("pictor_pool_worker_recycles_total", Double(pool.recycles))
        family("pictor_pool_reloads_total", .counter, "Reloads (SIGHUP) of the pool.")
        sample("pictor_pool_reloads_total", Double(pool.reloads))
        family("pictor_pool_worker_restarts_total", .counter, "Workers that died and were started again.")
        sample("pictor_pool_worker_restarts_total", Double(pool.restarts))
        family("pictor_pool_start_time_seconds", .gauge, "When the pool's master started (Unix time).")
        sample("pictor_pool_start_time_seconds", Double(pool.startedAt))
    }
}
