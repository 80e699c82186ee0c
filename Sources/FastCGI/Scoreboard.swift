// The pool's scoreboard: counters every process of the pool adds to, in memory the master shares
// with its workers, so that /metrics and /status answered by any one worker show the whole pool.

internal import CFastCGI
import Foundation

/// What the pool counts, php-fpm's scoreboard: one slot per worker process, a header for the
/// master. The master creates it before the first worker and hands it to each (file descriptor
/// 5, and the slot's number in `FASTCGI_SCOREBOARD_SLOT`); a worker adds to its own slot only,
/// with relaxed atomic adds, so counting takes no lock.
///
/// A slot's counters are never reset: the next worker given the slot counts on from where the
/// last one stopped, so a sum over all slots only ever grows, however workers come and go (as
/// Prometheus counters must). Only a slot's gauges (pid, state, busy threads) start afresh.
///
/// `@unchecked Sendable`: the memory is only read and written through atomic operations.
public final class Scoreboard: @unchecked Sendable {
    /// Where a worker finds the scoreboard, and the environment variable naming its slot.
    static let workerFD: Int32 = 5
    static let slotVariable = "FASTCGI_SCOREBOARD_SLOT"

    /// Upper bounds of the request duration histogram, in seconds (and +Inf after them).
    public static let latencyBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// The label requests no route answered are counted under (unknown paths, early refusals).
    public static let otherRoute = "other"

    /// Counters the master keeps in the header.
    public enum PoolCounter: Int, CaseIterable, Sendable {
        case recycles = 4, reloads, restarts
    }

    public enum WorkerState: UInt64, Sendable {
        /// Started by the master, not serving yet (loading its config, templates).
        case free = 0, serving = 1, draining = 2, starting = 3
    }

    // The layout, in 64-bit words: a header, the route labels, then the slots.
    private enum Header: Int { case magic = 0, slotCount, routeCount, startedAt }
    private static let headerWords = 16
    private static let magic: UInt64 = 0x5049_4354_4F52_5342  // "PICTORSB"
    private static let labelWords = 8  // 64 bytes, NUL-terminated
    private enum SlotField: Int { case pid = 0, startedAt, state, threads, busy, processRequests, accepted, allBusy, slow }
    private static let slotHeaderWords = 16
    private static let statusClasses = 5  // 1xx to 5xx
    private static let routeWords = statusClasses + (latencyBuckets.count + 1) + 1  // + the sum of durations

    private let words: UnsafeMutablePointer<UInt64>
    private let byteCount: Int
    /// The shared file, for the master to hand to its workers.
    let fd: Int32
    public let slotCount: Int
    /// The routes counted one by one, in the order the master wrote them; `other` is last.
    public let routes: [String]
    private let routeIndexes: [String: Int]

    private init?(fd: Int32, byteCount: Int) {
        guard let memory = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), memory != MAP_FAILED else { return nil }
        self.fd = fd
        self.byteCount = byteCount
        words = memory.bindMemory(to: UInt64.self, capacity: byteCount / 8)
        slotCount = Int(pictor_counter_load(words + Header.slotCount.rawValue))
        let routeCount = Int(pictor_counter_load(words + Header.routeCount.rawValue))
        let labels = UnsafeRawPointer(words + Self.headerWords)
        routes = (0..<routeCount).map { String(cString: (labels + $0 * Self.labelWords * 8).assumingMemoryBound(to: CChar.self)) }
        routeIndexes = Dictionary(routes.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    deinit {
        munmap(words, byteCount)
    }

    private static func byteCount(slots: Int, routes: Int) -> Int {
        8 * (headerWords + routes * labelWords + slots * (slotHeaderWords + routes * routeWords))
    }

    /// Made by the master: room for `slots` workers at once (those draining included) and the
    /// `routes` labels (longer ones cut at 63 bytes). Nil if the system refuses shared memory:
    /// the pool then runs without metrics.
    public static func create(slots: Int, routes: [String]) -> Scoreboard? {
        let labels = routes + [otherRoute]
        let size = byteCount(slots: slots, routes: labels.count)
        let created = pictor_memfd("pictor-scoreboard")
        guard created >= 0 else { return nil }
        let fd = Supervisor.moveHigh(created)
        guard ftruncate(fd, off_t(size)) == 0,
              let memory = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), memory != MAP_FAILED else {
            close(fd)
            return nil
        }
        let words = memory.bindMemory(to: UInt64.self, capacity: size / 8)
        words[Header.slotCount.rawValue] = UInt64(slots)
        words[Header.routeCount.rawValue] = UInt64(labels.count)
        words[Header.startedAt.rawValue] = UInt64(time(nil))
        for (index, label) in labels.enumerated() {
            let bytes = Array(label.utf8.prefix(labelWords * 8 - 1))
            UnsafeMutableRawPointer(words + headerWords + index * labelWords).copyMemory(from: bytes, byteCount: bytes.count)
        }
        words[Header.magic.rawValue] = magic
        munmap(memory, size)
        return Scoreboard(fd: fd, byteCount: size)
    }

    /// The scoreboard of the pool this process is a worker of; nil when it runs on its own.
    public static let shared: Scoreboard? = {
        guard ProcessInfo.processInfo.environment[slotVariable] != nil else { return nil }
        var status = stat()
        guard fstat(workerFD, &status) == 0, status.st_size > headerWords * 8 else { return nil }
        guard let board = Scoreboard(fd: workerFD, byteCount: Int(status.st_size)),
              pictor_counter_load(board.words + Header.magic.rawValue) == magic else { return nil }
        return board
    }()

    /// This worker's slot in the shared scoreboard.
    public static let workerSlot: Slot? = {
        guard let board = shared, let text = ProcessInfo.processInfo.environment[slotVariable],
              let index = Int(text), (0..<board.slotCount).contains(index) else { return nil }
        return Slot(board: board, index: index)
    }()

    // MARK: Words

    private func slotBase(_ slot: Int) -> UnsafeMutablePointer<UInt64> {
        words + Self.headerWords + routes.count * Self.labelWords + slot * (Self.slotHeaderWords + routes.count * Self.routeWords)
    }

    private func field(_ slot: Int, _ field: SlotField) -> UnsafeMutablePointer<UInt64> {
        slotBase(slot) + field.rawValue
    }

    private func routeBase(_ slot: Int, _ route: Int) -> UnsafeMutablePointer<UInt64> {
        slotBase(slot) + Self.slotHeaderWords + route * Self.routeWords
    }

    /// The index requests answered by `route` are counted under.
    func routeIndex(_ route: String?) -> Int {
        route.flatMap { routeIndexes[$0] } ?? routes.count - 1
    }

    // MARK: The master's side

    /// Takes a free slot for a worker about to start; nil when all are taken (the worker then
    /// runs uncounted).
    func reserveSlot() -> Int? {
        for slot in 0..<slotCount where pictor_counter_load(field(slot, .pid)) == 0 {
            pictor_counter_store(field(slot, .pid), 1)  // taken; the worker's pid follows
            return slot
        }
        return nil
    }

    func assign(_ slot: Int, to pid: pid_t) {
        pictor_counter_store(field(slot, .pid), UInt64(pid))
        pictor_counter_store(field(slot, .startedAt), UInt64(time(nil)))
        pictor_counter_store(field(slot, .state), WorkerState.starting.rawValue)
    }

    /// Frees the slot of a worker that has exited: its gauges start afresh, its counters stay.
    func release(_ slot: Int) {
        for gauge in [SlotField.state, .threads, .busy, .processRequests, .startedAt, .pid] {
            pictor_counter_store(field(slot, gauge), 0)
        }
    }

    func count(_ counter: PoolCounter) {
        pictor_counter_add(words + counter.rawValue, 1)
    }

    // MARK: A worker's side

    /// A worker's own slot: what it counts as it serves.
    public struct Slot: Sendable {
        let board: Scoreboard
        let index: Int

        func begin(threads: Int) {
            pictor_counter_store(board.field(index, .threads), UInt64(threads))
            pictor_counter_store(board.field(index, .state), WorkerState.serving.rawValue)
        }

        func setDraining() {
            pictor_counter_store(board.field(index, .state), WorkerState.draining.rawValue)
        }

        func connectionAccepted() {
            pictor_counter_add(board.field(index, .accepted), 1)
        }

        /// Counts a thread busy; true when that leaves none idle in this worker.
        func requestStarted(threads: Int) -> Bool {
            let busy = board.field(index, .busy)
            pictor_counter_add(busy, 1)
            guard pictor_counter_load(busy) >= UInt64(threads) else { return false }
            pictor_counter_add(board.field(index, .allBusy), 1)
            return true
        }

        func requestFinished(route: String?, status: Int, seconds: Double, slow: Bool) {
            pictor_counter_sub(board.field(index, .busy), 1)
            pictor_counter_add(board.field(index, .processRequests), 1)
            if slow { pictor_counter_add(board.field(index, .slow), 1) }
            let base = board.routeBase(index, board.routeIndex(route))
            pictor_counter_add(base + min(max(status / 100, 1), 5) - 1, 1)
            let bucket = Scoreboard.latencyBuckets.firstIndex { seconds <= $0 } ?? Scoreboard.latencyBuckets.count
            pictor_counter_add(base + Scoreboard.statusClasses + bucket, 1)
            pictor_counter_add(base + Scoreboard.routeWords - 1, UInt64(max(0, seconds * 1_000_000)))
        }
    }

    // MARK: Reading

    /// One worker process as the scoreboard shows it.
    public struct Worker: Sendable, Equatable {
        public let pid: Int32
        public let startedAt: Int
        public let state: WorkerState
        public let threads: Int
        public let busyThreads: Int
        public let requests: Int
    }

    /// One route's requests, summed over the pool since it started.
    public struct RouteTotals: Sendable {
        public let route: String
        /// Requests answered with 1xx … 5xx.
        public let byStatusClass: [Int]
        /// How many took at most each of `latencyBuckets` seconds (not cumulative), then more.
        public let byDuration: [Int]
        public let secondsTotal: Double
        public var count: Int { byStatusClass.reduce(0, +) }
    }

    public struct Snapshot: Sendable {
        public let startedAt: Int
        public let workers: [Worker]
        public let routes: [RouteTotals]
        public let acceptedConnections: Int
        /// Times a request left a worker without an idle thread (php-fpm's "max children reached").
        public let allThreadsBusy: Int
        public let slowRequests: Int
        public let recycles: Int
        public let reloads: Int
        public let restarts: Int
    }

    public func snapshot() -> Snapshot {
        func load(_ pointer: UnsafeMutablePointer<UInt64>) -> Int { Int(truncatingIfNeeded: pictor_counter_load(pointer)) }
        var workers: [Worker] = []
        var accepted = 0, allBusy = 0, slow = 0
        for slot in 0..<slotCount {
            accepted += load(field(slot, .accepted))
            allBusy += load(field(slot, .allBusy))
            slow += load(field(slot, .slow))
            let pid = load(field(slot, .pid))
            guard pid > 1, let state = WorkerState(rawValue: UInt64(load(field(slot, .state)))), state != .free else { continue }
            workers.append(Worker(pid: Int32(pid), startedAt: load(field(slot, .startedAt)), state: state,
                                  threads: load(field(slot, .threads)), busyThreads: load(field(slot, .busy)),
                                  requests: load(field(slot, .processRequests))))
        }
        let totals = routes.indices.map { route -> RouteTotals in
            var counts = [Int](repeating: 0, count: Self.routeWords)
            for slot in 0..<slotCount {
                let base = routeBase(slot, route)
                for word in 0..<Self.routeWords { counts[word] += load(base + word) }
            }
            return RouteTotals(route: routes[route], byStatusClass: Array(counts[0..<Self.statusClasses]),
                               byDuration: Array(counts[Self.statusClasses..<(Self.routeWords - 1)]),
                               secondsTotal: Double(counts[Self.routeWords - 1]) / 1_000_000)
        }
        return Snapshot(startedAt: load(words + Header.startedAt.rawValue), workers: workers, routes: totals,
                        acceptedConnections: accepted, allThreadsBusy: allBusy, slowRequests: slow,
                        recycles: load(words + PoolCounter.recycles.rawValue), reloads: load(words + PoolCounter.reloads.rawValue),
                        restarts: load(words + PoolCounter.restarts.rawValue))
    }
}
