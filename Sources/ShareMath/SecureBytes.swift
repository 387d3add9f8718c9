internal import CSodium
import Synchronization

/// Bytes that hold a secret: allocated by libsodium (guard pages, locked), wiped on release,
/// compared in constant time and never printed.
///
/// The contents are read only through `withUnsafeBytes`; there is deliberately no `Array` or `Data` getter.
///
/// Values up to 4 KiB (scalars, keys, decrypted shares) live in slots of a `SecureArena`: chunks that
/// libsodium allocated (guard pages around each chunk, locked), each slot wiped when it is released. This
/// keeps the arithmetic from paying four system calls, and every core a TLB shootdown, per value; larger
/// values get their own `sodium_malloc`.
public final class SecureBytes: @unchecked Sendable {
    // Written only while the instance is being built (init and package-level builders), then immutable.
    private let pointer: UnsafeMutableRawPointer
    /// The number of bytes held.
    public let count: Int

    /// Allocates `count` zeroed bytes in libsodium's guarded memory.
    package init(zeroedCount count: Int) {
        precondition(count > 0, "SecureBytes must hold at least one byte")
        Sodium.ensureInitialized()
        if let arena = SecureArena.for(count) {
            pointer = arena.allocate()
        } else {
            guard let pointer = sodium_malloc(count) else {
                fatalError("sodium_malloc(\(count)) failed: out of memory")
            }
            self.pointer = pointer
        }
        sodium_memzero(pointer, count)
        self.count = count
    }

    /// Copies `bytes` into guarded memory. The caller remains responsible for wiping its own copy.
    public convenience init(copying bytes: some Collection<UInt8>) {
        precondition(!bytes.isEmpty, "SecureBytes must hold at least one byte")
        self.init(zeroedCount: bytes.count)
        if bytes.withContiguousStorageIfAvailable({
            UnsafeMutableRawBufferPointer(start: pointer, count: count).copyMemory(from: UnsafeRawBufferPointer($0))
        }) == nil {
            UnsafeMutableRawBufferPointer(start: pointer, count: count).copyBytes(from: bytes)
        }
    }

    /// Copies raw bytes (for instance a slice of other guarded memory) into guarded memory.
    public convenience init(copying bytes: UnsafeRawBufferPointer) {
        precondition(!bytes.isEmpty, "SecureBytes must hold at least one byte")
        self.init(zeroedCount: bytes.count)
        UnsafeMutableRawBufferPointer(start: pointer, count: count).copyMemory(from: bytes)
    }

    /// `count` bytes from libsodium's CSPRNG.
    public static func random(count: Int) -> SecureBytes {
        let bytes = SecureBytes(zeroedCount: count)
        randombytes_buf(bytes.pointer, count)
        return bytes
    }

    /// Builds secure bytes by letting `body` fill freshly allocated memory; used by the curve backends.
    package static func filled(
        count: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> Void
    ) rethrows -> SecureBytes {
        let bytes = SecureBytes(zeroedCount: count)
        try body(UnsafeMutableRawBufferPointer(start: bytes.pointer, count: count))
        return bytes
    }

    deinit {
        if let arena = SecureArena.for(count) {
            sodium_memzero(pointer, count)
            arena.release(pointer)
        } else {
            sodium_free(pointer)  // sodium_free wipes the memory before releasing it.
        }
    }

    /// Calls `body` with a read-only view of the secret. Do not let the pointer escape.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// Mutable access, for in-place arithmetic while a value is being built.
    package func withUnsafeMutableBytes<R, E: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        try body(UnsafeMutableRawBufferPointer(start: pointer, count: count))
    }

    /// Whether every byte is zero, in constant time.
    public var isZero: Bool {
        sodium_is_zero(pointer.assumingMemoryBound(to: UInt8.self), count) == 1
    }
}

extension SecureBytes: Equatable {
    /// Constant-time comparison (`sodium_memcmp`); lengths are not secret.
    public static func == (lhs: SecureBytes, rhs: SecureBytes) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return sodium_memcmp(lhs.pointer, rhs.pointer, lhs.count) == 0
    }
}

extension SecureBytes: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "SecureBytes(\(count) bytes, redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .class) }
}

/// One-time libsodium initialisation.
package enum Sodium {
    private static let initialized: Bool = sodium_init() >= 0

    /// Initialises libsodium once; safe to call from any thread.
    package static func ensureInitialized() {
        precondition(initialized, "libsodium failed to initialise")
    }
}

/// Fixed-size slots carved from chunks of libsodium's guarded, locked memory. Slots are wiped by their
/// owner before they come back; chunks are kept for reuse for the life of the process.
final class SecureArena: Sendable {
    /// 64-byte slots for scalars and keys, 4 KiB slots for decrypted documents.
    static let small = SecureArena(slotSize: 64, slotsPerChunk: 1024)
    static let medium = SecureArena(slotSize: 4096, slotsPerChunk: 64)

    /// The arena whose slots hold `count` bytes, if any.
    static func `for`(_ count: Int) -> SecureArena? {
        count <= small.slotSize ? small : count <= medium.slotSize ? medium : nil
    }

    let slotSize: Int
    let slotsPerChunk: Int

    init(slotSize: Int, slotsPerChunk: Int) {
        self.slotSize = slotSize
        self.slotsPerChunk = slotsPerChunk
    }

    private struct State: ~Copyable {
        /// Free slots' addresses (as integers, which are `Sendable`).
        var free: [UInt] = []
    }

    private let state = Mutex(State())

    func allocate() -> UnsafeMutableRawPointer {
        state.withLock { state in
            if state.free.isEmpty {
                let size = slotSize * slotsPerChunk
                guard let chunk = sodium_malloc(size) else {
                    fatalError("sodium_malloc(\(size)) failed: out of memory")
                }
                sodium_memzero(chunk, size)
                state.free.reserveCapacity(state.free.count + slotsPerChunk)
                for index in stride(from: slotsPerChunk - 1, through: 0, by: -1) {
                    state.free.append(UInt(bitPattern: chunk + index * slotSize))
                }
            }
            guard let slot = UnsafeMutableRawPointer(bitPattern: state.free.removeLast()) else {
                preconditionFailure("a free slot at address zero")
            }
            return slot
        }
    }

    func release(_ slot: UnsafeMutableRawPointer) {
        let address = UInt(bitPattern: slot)
        state.withLock { state in state.free.append(address) }
    }
}
