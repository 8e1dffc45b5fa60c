using System.Runtime.InteropServices;

namespace Checkpointing.FileStore;

/// <summary>
/// Tells that a file does not exist without opening it, so the usual absence of a file (the successor journal, on
/// nearly every resume) throws no <see cref="FileNotFoundException"/>: the first exception a process throws costs it
/// ~10 ms of set-up, which a fresh process resuming would pay. Only a certain "no such file" (<c>ENOENT</c> from
/// <c>access</c>) counts; any other outcome, and Windows, leave the caller to open the file and meet the error it gives.
/// </summary>
internal static partial class MissingFile
{
    private const int Exists = 0;          // F_OK
    private const int NoSuchFile = 2;      // ENOENT (the same on Linux and macOS)

    /// <summary>Tells whether <paramref name="path"/> certainly does not exist.</summary>
    public static bool IsMissing(string path) =>
        !OperatingSystem.IsWindows() && Access(path, Exists) != 0 && Marshal.GetLastPInvokeError() == NoSuchFile;

    [LibraryImport("libc", EntryPoint = "access", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Access(string path, int mode);
}
