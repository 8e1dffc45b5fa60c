using System.Diagnostics;

namespace Checkpointing.Sqlite.Tests;

/// <summary>Starts this test assembly as a real child process running one of the scenarios of <see cref="Program"/>.</summary>
public sealed class ChildProcess : IDisposable
{
    private ChildProcess(Process process) => Process = process;

    public Process Process { get; }

    public static ChildProcess Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        info.ArgumentList.Add("child");
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return new ChildProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start child process"));
    }

    /// <summary>Waits for the child to print <paramref name="line"/>, failing if it exits or takes too long.</summary>
    public async Task WaitForLineAsync(string line, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        while (await Process.StandardOutput.ReadLineAsync(cancellation.Token) is { } read)
        {
            if (read == line)
            {
                return;
            }
        }

        throw new InvalidOperationException($"The child exited (code {Process.ExitCode}) before printing '{line}': {await Process.StandardError.ReadToEndAsync()}");
    }

    /// <summary>Kills the child with SIGKILL: no finally blocks, no dispose, no lease release.</summary>
    public void KillHard()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
        }

        Process.WaitForExit();
    }

    public void Dispose()
    {
        try
        {
            KillHard();
        }
        catch (InvalidOperationException)
        {
        }

        Process.Dispose();
    }
}
