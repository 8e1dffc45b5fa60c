using System.Runtime.InteropServices;

namespace Checkpointing.Tests.Support;

/// <summary>Freezes and thaws a process the way a long GC pause, a VM migration or a laptop lid would: SIGSTOP and SIGCONT.</summary>
public static partial class Signals
{
    private const int SigCont = 18; // Linux
    private const int SigStop = 19; // Linux

    /// <summary>Stops the process: none of its threads run (timers and lease renewal included) until <see cref="Thaw"/>.</summary>
    public static void Freeze(int pid) => Send(pid, SigStop);

    /// <summary>Lets a stopped process run again.</summary>
    public static void Thaw(int pid) => Send(pid, SigCont);

    private static void Send(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int Kill(int pid, int signal);
}
