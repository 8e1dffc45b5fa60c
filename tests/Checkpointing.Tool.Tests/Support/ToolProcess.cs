using System.Diagnostics;
using System.Text;

namespace Checkpointing.Tool.Tests.Support;

/// <summary>
/// The built tool (<c>src/Checkpointing.Tool/bin/&lt;configuration&gt;/&lt;framework&gt;/Checkpointing.Tool.dll</c>, of the framework these tests run on) running as a
/// real process, its stdout read line by line as it comes. Disposing kills it if it still runs.
/// </summary>
public sealed class ToolProcess : IDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);
    private readonly object _gate = new();
    private readonly List<string> _lines = [];
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Task _pumps;
    private readonly Process _process;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ToolProcess(Process process)
    {
        _process = process;
        _pumps = Task.WhenAll(Task.Run(PumpStdoutAsync), Task.Run(PumpStderrAsync));
    }

    /// <summary>Gets the path of the built tool.</summary>
    public static string ToolPath { get; } = FindTool();

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

    public static ToolProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null, bool inTerminal = false)
    {
        var info = new ProcessStartInfo(inTerminal ? "script" : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        if (inTerminal)
        {
            // util-linux script(1) runs the tool on a pseudo-terminal, as a user's shell would: output is not redirected.
            info.ArgumentList.Add("-qec");
            info.ArgumentList.Add(string.Join(' ', new[] { "dotnet", ToolPath }.Concat(args).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'")));
            info.ArgumentList.Add("/dev/null");
            info.Environment["TERM"] = "xterm-256color";
        }
        else
        {
            info.ArgumentList.Add(ToolPath);
            foreach (var arg in args)
            {
                info.ArgumentList.Add(arg);
            }
        }

        // The tool's defaults come from the environment: tests state them, never inherit them.
        info.Environment.Remove("CHECKPOINTING_STORE");
        info.Environment.Remove("CHECKPOINT_DIR");
        info.Environment.Remove("NO_COLOR");
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[name] = value;
        }

        return new ToolProcess(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    /// <summary>Runs the tool to its end.</summary>
    public static async Task<ToolResult> RunAsync(params string[] args) => await RunWithAsync(null, args);

    /// <summary>Runs the tool to its end on a pseudo-terminal (its output is not redirected), with extra environment variables.</summary>
    public static async Task<ToolResult> RunInTerminalAsync(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        using var tool = Start(args, environment, inTerminal: true);
        return await tool.WaitForExitAsync(DefaultTimeout);
    }

    /// <summary>Runs the tool to its end with extra environment variables.</summary>
    public static async Task<ToolResult> RunWithAsync(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        using var tool = Start(args, environment);
        return await tool.WaitForExitAsync(DefaultTimeout);
    }

    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_lines.FirstOrDefault(predicate) is { } line)
                {
                    return line;
                }

                changed = _changed.Task;
            }

            if (_process.HasExited && _pumps.IsCompleted)
            {
                throw new InvalidOperationException($"the tool exited ({_process.ExitCode}) without the expected line. {Describe()}");
            }

            try
            {
                await changed.WaitAsync(TimeSpan.FromMilliseconds(200), cancellation.Token);
            }
            catch (TimeoutException)
            {
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no expected line from the tool within {timeout}. {Describe()}");
            }
        }
    }

    public async Task<ToolResult> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the tool did not exit within {timeout}. {Describe()}");
        }

        await _pumps;
        lock (_gate)
        {
            return new ToolResult(_process.ExitCode, _stdout.ToString(), _stderr.ToString());
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private string Describe()
    {
        lock (_gate)
        {
            return $"stdout: {_stdout} stderr: {_stderr}";
        }
    }

    private async Task PumpStdoutAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            lock (_gate)
            {
                _lines.Add(line);
                _stdout.Append(line).Append('\n');
                _changed.TrySetResult();
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    private async Task PumpStderrAsync()
    {
        var text = await _process.StandardError.ReadToEndAsync();
        lock (_gate)
        {
            _stderr.Append(text);
        }
    }

    /// <summary>Finds the tool built like this test assembly: tests/X/bin/&lt;config&gt;/&lt;tfm&gt; → src/Checkpointing.Tool/bin/&lt;config&gt;/&lt;tfm&gt;.</summary>
    private static string FindTool()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = here.Name;
        var configuration = here.Parent!.Name;
        var root = here;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Checkpointing.sln")))
        {
            root = root.Parent;
        }

        var path = Path.Combine(root?.FullName ?? ".", "src", "Checkpointing.Tool", "bin", configuration, framework, "Checkpointing.Tool.dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"The built tool is missing at {path}: build src/Checkpointing.Tool (-c {configuration}) first.", path);
    }
}
