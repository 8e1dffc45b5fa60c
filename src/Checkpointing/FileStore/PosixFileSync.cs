using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Checkpointing.FileStore;

/// <summary>
/// The durability primitives .NET does not expose: <c>fdatasync</c> of a file and <c>fsync</c> of a directory
/// (so a rename survives power loss). On other systems the nearest .NET equivalent is used.
/// </summary>
internal static partial class PosixFileSync
{
    private const int OpenReadOnly = 0;
    private const int OpenCloseOnExec = 0x80000; // O_CLOEXEC on Linux (same value on x64 and arm64)
    private const uint SyncFileRangeWaitBefore = 1, SyncFileRangeWrite = 2, SyncFileRangeWaitAfter = 4;

    /// <summary>Flushes a file's data (and the size, which an append changes) to the device.</summary>
    public static void DataSync(FileStream stream)
    {
        if (OperatingSystem.IsLinux())
        {
            DataSync(stream.SafeFileHandle, stream.Name);
        }
        else
        {
            stream.Flush(flushToDisk: true);
        }
    }

    /// <summary>
    /// Writes a file's dirty pages in a range to the device and waits for them (Linux <c>sync_file_range</c>; elsewhere
    /// nothing). Not durable: no metadata, no flush of the device's cache. It bounds how much dirty data a later
    /// fsync, of this file or of another file on the same disk, has to wait for.
    /// </summary>
    public static void WriteOut(FileStream stream, long offset, long count)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var handle = stream.SafeFileHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            if (SyncFileRange((int)handle.DangerousGetHandle(), offset, count, SyncFileRangeWaitBefore | SyncFileRangeWrite | SyncFileRangeWaitAfter) != 0)
            {
                throw new IOException($"sync_file_range of '{stream.Name}' failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Flushes a directory's entries, making a rename or a new file in it durable. A no-op on Windows.</summary>
    public static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = Open(directory, OpenReadOnly | (OperatingSystem.IsLinux() ? OpenCloseOnExec : 0));
        if (fd < 0)
        {
            throw new IOException($"Cannot open directory '{directory}' to sync it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (FSync(fd) != 0)
            {
                throw new IOException($"fsync of directory '{directory}' failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private static void DataSync(SafeFileHandle handle, string path)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            if (FDataSync((int)handle.DangerousGetHandle()) != 0)
            {
                throw new IOException($"fdatasync of '{path}' failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FDataSync(int fd);

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(int fd, long offset, long count, uint flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
