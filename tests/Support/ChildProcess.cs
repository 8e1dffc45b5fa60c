using System.Diagnostics;
using System.Text;

namespace Checkpointing.Tests.Support;

/// <summary>
/// Starts this test assembly as a real child process running one of its scenarios (see <see cref="ChildProcessMain"/>). Its stdout is read
/// as it comes; only lines ended by a newline count (a line cut short by a kill is not a line the child reported).
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly object _gate = new();
    private readonly List<string> _lines = [];
    private readonly StringBuilder _stderr = new();
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;
    private TaskCompletionSource _lineArrived = NewSignal();
    private bool _stdoutEnded;

    private ChildProcess(Process process)
    {
        Process = process;
        _stdoutPump = Task.Run(PumpStdoutAsync);
        _stderrPump = Task.Run(PumpStderrAsync);
    }

    public Process Process { get; }

    /// <summary>Gets the complete lines the child has written to stdout so far.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>Gets what the child has written to stderr so far.</summary>
    public string StandardError
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    public static ChildProcess Start(string scenario, params string[] args) => StartWithRuntimeConfig(runtimeConfig: null, scenario, args);

    /// <summary>Starts a child with another runtime configuration (<c>dotnet exec --runtimeconfig</c>), to set runtime feature switches.</summary>
    public static ChildProcess StartWithRuntimeConfig(string? runtimeConfig, string scenario, params string[] args)
    {
        var assembly = typeof(ChildProcess).Assembly.Location;
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (runtimeConfig is not null)
        {
            info.ArgumentList.Add("exec");
            info.ArgumentList.Add("--runtimeconfig");
            info.ArgumentList.Add(runtimeConfig);
        }

        info.ArgumentList.Add(assembly);
        info.ArgumentList.Add("child");
        info.ArgumentList.Add(scenario);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_TieredPGO"] = "0";
        return new ChildProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start child process"));
    }

    /// <summary>Waits until the child has written a line matching <paramref name="predicate"/>, and returns it.</summary>
    /// <exception cref="TimeoutException">No such line within <paramref name="timeout"/>, or the child exited without one.</exception>
    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var seen = 0;
        while (true)
        {
            Task signal;
            bool ended;
            lock (_gate)
            {
                for (; seen < _lines.Count; seen++)
                {
                    if (predicate(_lines[seen]))
                    {
                        return _lines[seen];
                    }
                }

                signal = _lineArrived.Task;
                ended = _stdoutEnded;
            }

            if (ended)
            {
                throw new TimeoutException($"The child exited without the expected line. {Describe()}");
            }

            try
            {
                await signal.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No expected line from the child within {timeout}. {Describe()}");
            }
        }
    }

    /// <summary>Waits for the first complete line of stdout.</summary>
    public Task<string> WaitForFirstLineAsync(TimeSpan timeout) => WaitForLineAsync(_ => true, timeout);

    /// <summary>Writes one line to the child's stdin.</summary>
    public async Task SendLineAsync(string line)
    {
        await Process.StandardInput.WriteLineAsync(line);
        await Process.StandardInput.FlushAsync();
    }

    /// <summary>Waits for the child to exit on its own and for its output to be read to the end.</summary>
    /// <returns>The exit code.</returns>
    /// <exception cref="TimeoutException">It did not exit within <paramref name="timeout"/>.</exception>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await Process.WaitForExitAsync(cts.Token);
            await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The child did not exit within {timeout}. {Describe()}");
        }

        return Process.ExitCode;
    }

    /// <summary>Kills the child with SIGKILL (no cleanup, no finally blocks, no flushing).</summary>
    /// <remarks>The child is the <c>dotnet</c> host itself, which runs the app in its own process: there is no tree to walk.</remarks>
    public void KillHard()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: false);
        }

        Process.WaitForExit();
    }

    /// <summary>Kills the child with SIGKILL and reads what it wrote before it died to the end.</summary>
    /// <returns>Every complete stdout line the child wrote.</returns>
    public async Task<IReadOnlyList<string>> KillHardAndDrainAsync()
    {
        KillHard();
        await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(TimeSpan.FromSeconds(30));
        return Lines;
    }

    /// <summary>Describes the child's state for assertion messages: exit code and the tail of stderr.</summary>
    public string Describe()
    {
        var exit = Process.HasExited ? $"exit code {Process.ExitCode}" : "still running";
        var stderr = StandardError;
        if (stderr.Length > 4000)
        {
            stderr = "..." + stderr[^4000..];
        }

        return $"Child {Process.Id} {exit}; {Lines.Count} stdout lines; stderr: {stderr}";
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

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task PumpStdoutAsync()
    {
        var stream = Process.StandardOutput.BaseStream;
        var pending = new List<byte>();
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(buffer);
                if (n == 0)
                {
                    break;
                }

                List<string>? complete = null;
                for (var i = 0; i < n; i++)
                {
                    if (buffer[i] == (byte)'\n')
                    {
                        (complete ??= []).Add(Encoding.UTF8.GetString([.. pending]).TrimEnd('\r'));
                        pending.Clear();
                    }
                    else
                    {
                        pending.Add(buffer[i]);
                    }
                }

                if (complete is not null)
                {
                    Publish(complete);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            // A trailing fragment without a newline was cut short by a kill: it was never reported.
            Publish([], ended: true);
        }
    }

    private void Publish(List<string> lines, bool ended = false)
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            _lines.AddRange(lines);
            _stdoutEnded |= ended;
            signal = _lineArrived;
            _lineArrived = NewSignal();
        }

        signal.TrySetResult();
    }

    private async Task PumpStderrAsync()
    {
        var buffer = new char[4096];
        try
        {
            while (true)
            {
                var n = await Process.StandardError.ReadAsync(buffer);
                if (n == 0)
                {
                    break;
                }

                lock (_gate)
                {
                    _stderr.Append(buffer, 0, n);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
