using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Checkpointing.FileStore;

/// <summary>
/// How much disk a file holds, which can be more than its length: a journal reserves the disk its later appends fill
/// (<see cref="DurableFile.CreateNew"/>'s preallocation, <c>fallocate</c> with <c>FALLOC_FL_KEEP_SIZE</c>), and those
/// blocks stay reserved past the file's end until something cuts the file. Linux only (elsewhere the answer is unknown).
/// </summary>
internal static partial class FileSpace
{
    /// <summary>The file system's block, to which lengths are rounded up when compared with the disk a file holds.</summary>
    public const long BlockBytes = 4 << 10;

    private const int AtEmptyPath = 0x1000;
    private const int AtCurrentDirectory = -100;
    private const uint StatxBlocks = 0x400;
    private const int StatxBufferBytes = 256;
    private const int StatxBlocksOffset = 48;

    /// <summary>
    /// Returns the bytes of disk <paramref name="handle"/>'s file holds (its 512-byte blocks, reserved ones included), or
    /// -1 where that cannot be told (not Linux, a C library without <c>statx</c>, an error).
    /// </summary>
    public static long AllocatedBytes(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
        {
            return -1;
        }

        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            Span<byte> buffer = stackalloc byte[StatxBufferBytes];
            return Read(Statx((int)handle.DangerousGetHandle(), string.Empty, AtEmptyPath, StatxBlocks, ref MemoryMarshal.GetReference(buffer)), buffer);
        }
        catch (EntryPointNotFoundException)
        {
            return -1;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Returns the bytes of disk the file at <paramref name="path"/> holds, or -1 (see <see cref="AllocatedBytes(SafeFileHandle)"/>).</summary>
    public static long AllocatedBytes(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return -1;
        }

        try
        {
            Span<byte> buffer = stackalloc byte[StatxBufferBytes];
            return Read(Statx(AtCurrentDirectory, path, 0, StatxBlocks, ref MemoryMarshal.GetReference(buffer)), buffer);
        }
        catch (EntryPointNotFoundException)
        {
            return -1;
        }
    }

    /// <summary>
    /// Returns the end of the disk reserved past <paramref name="file"/>'s end, or its length when nothing is (or nothing
    /// can be told). The reservation starts at the file's start, so a file that holds more disk than its length rounded
    /// to a block has it up to about its allocated size.
    /// </summary>
    public static long ReservedEnd(FileStream file)
    {
        var length = file.Length;
        var allocated = AllocatedBytes(file.SafeFileHandle);
        return allocated > RoundUp(length) ? allocated : length;
    }

    /// <summary>Rounds <paramref name="length"/> up to a whole block.</summary>
    public static long RoundUp(long length) => (length + BlockBytes - 1) / BlockBytes * BlockBytes;

    /// <summary>The allocated bytes in a <c>struct statx</c> that <c>statx</c> filled (it returned <paramref name="result"/>), or -1.</summary>
    private static long Read(int result, ReadOnlySpan<byte> buffer) =>
        result == 0 && (MemoryMarshal.Read<uint>(buffer) & StatxBlocks) != 0
            ? checked((long)MemoryMarshal.Read<ulong>(buffer[StatxBlocksOffset..]) * 512)
            : -1;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directory, string path, int flags, uint mask, ref byte buffer);
}
