import Foundation
import ShareMath

extension SecureBytes {
    /// The secret as a `Data` that reads the guarded memory in place, for readers that take `Data`: an opened
    /// share is parsed without being copied whole into memory that is never wiped. The `Data` must not escape
    /// `body`, and must not be mutated.
    package func withUnsafeData<R>(_ body: (Data) throws -> R) rethrows -> R {
        try withUnsafeBytes { (buffer: UnsafeRawBufferPointer) throws -> R in
            try body(
                Data(
                    bytesNoCopy: UnsafeMutableRawPointer(mutating: buffer.baseAddress!), count: buffer.count,
                    deallocator: .none))
        }
    }
}
