using System.Collections.Concurrent;

namespace Checkpointing.FileStore;

/// <summary>
/// The OS lock that makes one owner per card: an exclusive open (<see cref="FileShare.None"/>, <c>flock</c> on
/// Linux) of the card's lock file. The OS releases it when the owner's process dies, so a stale lock cannot exist.
/// </summary>
internal static class CardLock
{
    private const int SharingViolation = unchecked((int)0x80070020); // Windows
    private const int WouldBlockLinux = 11; // EWOULDBLOCK from flock(LOCK_NB), as .NET reports it on Linux
    private const int WouldBlockBsd = 35; // EWOULDBLOCK on macOS and the BSDs

    /// <summary>The lock files this process holds, so that a refusal can say when the owner is this very process.</summary>
    private static readonly ConcurrentDictionary<string, bool> HeldByThisProcess = new(StringComparer.Ordinal);

    /// <summary>Throws when .NET file locking is switched off, since ownership would silently mean nothing.</summary>
    /// <exception cref="NotSupportedException">File locking is disabled for this process.</exception>
    public static void EnsureLockingEnabled()
    {
        var disabledByEnvironment = Environment.GetEnvironmentVariable("DOTNET_SYSTEM_IO_DISABLEFILELOCKING") is { } value
            && (value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase));
        if (disabledByEnvironment || (AppContext.TryGetSwitch("System.IO.DisableFileLocking", out var disabled) && disabled))
        {
            throw new NotSupportedException(
                "File locking is disabled (DOTNET_SYSTEM_IO_DISABLEFILELOCKING or the System.IO.DisableFileLocking switch), so "
                + "FileSystemCheckpointRepository cannot guarantee one owner per card and refuses to run. Unset it.");
        }
    }

    /// <summary>Takes the lock if it is free.</summary>
    /// <returns>The open lock file, which holds the lock until disposed; <see langword="null"/> when another owner holds it.</returns>
    public static FileStream? TryAcquire(string lockPath)
    {
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate,
                Access = FileAccess.ReadWrite,
                Share = FileShare.None,
                BufferSize = 0,
            };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            var lockFile = new FileStream(lockPath, options);
            HeldByThisProcess[lockFile.Name] = true;
            return lockFile;
        }
        catch (IOException ex) when (ex.HResult is SharingViolation or WouldBlockLinux or WouldBlockBsd)
        {
            return null;
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new UnauthorizedAccessException(CannotCreate(lockPath, ex), ex);
        }
        catch (IOException ex)
        {
            throw new IOException(CannotCreate(lockPath, ex), ex);
        }
    }

    /// <summary>Gives the lock up.</summary>
    /// <param name="lockFile">The open lock file <see cref="TryAcquire"/> returned.</param>
    /// <returns>A task that completes when the lock is released.</returns>
    public static ValueTask ReleaseAsync(FileStream lockFile)
    {
        HeldByThisProcess.TryRemove(lockFile.Name, out _);
        return lockFile.DisposeAsync();
    }

    private static string CannotCreate(string lockPath, Exception ex) =>
        $"The lock file '{lockPath}' cannot be created: {ex.Message} The checkpoint directory must be writable: set "
        + $"CheckpointManagerOptions.CheckpointDirectory (or ${CheckpointManagerOptions.DirectoryEnvironmentVariable}) to a writable directory.";

    /// <summary>Says who holds a lock this process could not take.</summary>
    public static string DescribeOwner(string lockPath) =>
        HeldByThisProcess.ContainsKey(Path.GetFullPath(lockPath))
            ? $"another CheckpointManager in this same process (pid {Environment.ProcessId}): one for this card that was not "
                + "disposed, or two open at once; dispose the first (await using) before opening the next"
            : "another process (or another manager in this process through another directory path)";

    /// <summary>Takes the lock, polling until <paramref name="timeout"/> passes.</summary>
    /// <exception cref="CheckpointLockedException">Another owner still holds it.</exception>
    /// <returns>The open lock file and, when another owner had to be waited for, how long.</returns>
    public static async Task<AcquiredLock> AcquireAsync(
        string cardId, string lockPath, TimeSpan timeout, TimeSpan pollInterval, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        var attempt = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var waited = timeProvider.GetElapsedTime(started);
            if (TryAcquire(lockPath) is { } acquired)
            {
                return new AcquiredLock(acquired, attempt == 0 ? null : waited);
            }

            attempt++;

            if (waited >= timeout)
            {
                // With a zero timeout nothing was waited for: the time went to the one try.
                throw new CheckpointLockedException(cardId, lockPath, timeout == TimeSpan.Zero ? TimeSpan.Zero : waited, DescribeOwner(lockPath), leaseExpiresAt: null);
            }

            var remaining = timeout - waited;
            await Task.Delay(remaining < pollInterval ? remaining : pollInterval, timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The open lock file and, when another owner had to be waited for, how long. A class, not a value tuple: a task of
    /// a reference type runs the framework's shared, precompiled code, where Task of a tuple holding a TimeSpan? made a
    /// fresh process JIT-compile 14 methods before its first resume.
    /// </summary>
    public sealed record AcquiredLock(FileStream Lock, TimeSpan? Waited);
}
