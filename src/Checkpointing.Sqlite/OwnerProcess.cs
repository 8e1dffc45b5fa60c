using System.Globalization;

namespace Checkpointing.Sqlite;

/// <summary>
/// The process that holds a lease, as recorded in its <c>card_owners</c> row: precisely enough for another process on the
/// same machine to tell that it has died. Pids are reused, so a pid alone proves nothing; a pid whose start time differs
/// from the recorded one is another process.
/// </summary>
/// <param name="Host">The machine name (<see cref="Environment.MachineName"/>).</param>
/// <param name="Pid">The process id.</param>
/// <param name="StartTime">
/// On Linux, the process's start time in clock ticks after boot (<c>/proc/&lt;pid&gt;/stat</c>, field 22);
/// <see langword="null"/> where it cannot be read, which leaves only the lease rule.
/// </param>
/// <param name="Scope">
/// On Linux, the boot (<c>/proc/sys/kernel/random/boot_id</c>) and pid namespace (<c>/proc/self/ns/pid</c>) in which the
/// pid and start time mean something: two containers with the same host name, or the same machine after a reboot, do not
/// compare pids.
/// </param>
internal sealed record OwnerProcess(string Host, long Pid, long? StartTime, string? Scope)
{
    private const int HidesUnknown = 0;
    private const int Hides = 1;
    private const int DoesNotHide = 2;
    private static OwnerProcess? _current;
    private static int _procHidesProcesses;

    /// <summary>Whether a recorded owner process is still running.</summary>
    public enum Liveness
    {
        /// <summary>It runs, or it cannot be checked from here (another host, another pid namespace, no access, not Linux).</summary>
        Unknown,

        /// <summary>The same process (pid and start time) runs on this machine.</summary>
        Alive,

        /// <summary>No process has the pid, it is a zombie, or its pid now belongs to a process started at another time.</summary>
        Dead,
    }

    /// <summary>Gets this process as it records itself in the rows it writes.</summary>
    /// <param name="cancellationToken">Cancels reading <c>/proc</c>.</param>
    /// <returns>This process; its start time and scope are <see langword="null"/> off Linux or when <c>/proc</c> cannot be read.</returns>
    public static async ValueTask<OwnerProcess> CurrentAsync(CancellationToken cancellationToken)
    {
        if (_current is { } known)
        {
            return known;
        }

        var pid = Environment.ProcessId;
        var scope = await ReadScopeAsync(cancellationToken).ConfigureAwait(false);
        var start = scope is null ? null : (await ReadLinuxStatAsync(pid, cancellationToken).ConfigureAwait(false)).StartTime;
        var current = new OwnerProcess(Environment.MachineName, pid, start, start is null ? null : scope);
        _current = current;
        return current;
    }

    /// <summary>Checks whether this recorded owner is still running, as far as this process can tell.</summary>
    /// <param name="cancellationToken">Cancels reading <c>/proc</c>.</param>
    /// <returns><see cref="Liveness.Dead"/> only when that is certain; <see cref="Liveness.Unknown"/> whenever it is not.</returns>
    public async ValueTask<Liveness> CheckAsync(CancellationToken cancellationToken)
    {
        var here = await CurrentAsync(cancellationToken).ConfigureAwait(false);
        if (StartTime is null || here.StartTime is null || Scope is null
            || !string.Equals(Host, here.Host, StringComparison.OrdinalIgnoreCase) || !string.Equals(Scope, here.Scope, StringComparison.Ordinal))
        {
            return Liveness.Unknown;
        }

        var (found, zombie, start) = await ReadLinuxStatAsync(Pid, cancellationToken).ConfigureAwait(false);
        if (found is null)
        {
            return Liveness.Unknown;
        }

        if (found == false)
        {
            // With hidepid=invisible, processes of other users are missing from /proc although they run.
            return await ProcHidesProcessesAsync(cancellationToken).ConfigureAwait(false) ? Liveness.Unknown : Liveness.Dead;
        }

        return zombie || start != StartTime ? Liveness.Dead : Liveness.Alive;
    }

    /// <summary>Describes the owner in words for an error message: its pid and host, and whether it runs.</summary>
    /// <param name="liveness">What <see cref="CheckAsync"/> found.</param>
    /// <returns>For example <c>process 4242 on host 'build-7' (running; this machine)</c>.</returns>
    public string Describe(Liveness liveness)
    {
        var here = _current;
        var where = here is not null && !string.Equals(Host, here.Host, StringComparison.OrdinalIgnoreCase)
            ? "on another host, so only its lease can free the card"
            : liveness switch
            {
                Liveness.Alive when here is not null && Pid == here.Pid => "running: it is THIS process; dispose the manager or repository that owns the card first",
                Liveness.Alive => "running on this machine",
                Liveness.Dead => "no longer running",
                _ => "its liveness cannot be checked from here, so only its lease can free the card",
            };
        return string.Create(CultureInfo.InvariantCulture, $"process {Pid} on host '{Host}' ({where})");
    }

    /// <summary>Reads the boot id and pid namespace of this process, or <see langword="null"/> off Linux or when they cannot be read.</summary>
    private static async Task<string?> ReadScopeAsync(CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            // A /proc mounted for another pid namespace than this process's would show other pids than the ones recorded.
            if (!string.Equals(new DirectoryInfo("/proc/self").LinkTarget, Environment.ProcessId.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal))
            {
                return null;
            }

            var boot = (await File.ReadAllTextAsync("/proc/sys/kernel/random/boot_id", cancellationToken).ConfigureAwait(false)).Trim();
            var pidNamespace = new FileInfo("/proc/self/ns/pid").LinkTarget;
            return boot.Length == 0 || string.IsNullOrEmpty(pidNamespace) ? null : $"{boot} {pidNamespace}";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Reads a process's state and start time from <c>/proc/&lt;pid&gt;/stat</c>.</summary>
    /// <returns>
    /// <c>Found</c>: <see langword="true"/> when read, <see langword="false"/> when there is no such process,
    /// <see langword="null"/> when it could not be read (access refused, the process exiting meanwhile, an unknown format).
    /// </returns>
    private static async Task<(bool? Found, bool Zombie, long? StartTime)> ReadLinuxStatAsync(long pid, CancellationToken cancellationToken)
    {
        string stat;
        try
        {
            stat = await File.ReadAllTextAsync(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat"), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return (false, false, null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (null, false, null);
        }

        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so the fields are counted after the last ')'.
        // The state is field 3 and the start time field 22.
        var fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 20 || !long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            return (null, false, null);
        }

        return (true, fields[0] is "Z" or "X" or "x", start);
    }

    /// <summary>Reads whether <c>/proc</c> is mounted with <c>hidepid=invisible</c> (or 2, or ptraceable), which hides other users' processes.</summary>
    private static async Task<bool> ProcHidesProcessesAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _procHidesProcesses) is var known and not HidesUnknown)
        {
            return known == Hides;
        }

        bool hides;
        try
        {
            var mounts = await File.ReadAllLinesAsync("/proc/self/mounts", cancellationToken).ConfigureAwait(false);
            hides = mounts.Select(line => line.Split(' '))
                .Where(parts => parts.Length > 3 && parts[1] == "/proc" && parts[2] == "proc")
                .SelectMany(parts => parts[3].Split(','))
                .Any(option => option is "hidepid=2" or "hidepid=invisible" or "hidepid=4" or "hidepid=ptraceable");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            hides = true;
        }

        Volatile.Write(ref _procHidesProcesses, hides ? Hides : DoesNotHide);
        return hides;
    }
}
