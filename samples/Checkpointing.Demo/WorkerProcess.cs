using System.Diagnostics;

namespace Checkpointing.Demo;

/// <summary>Starts this program again as a real child process in worker mode and relays what it prints.</summary>
internal static class WorkerProcess
{
    public static async Task<AttemptReport> RunAsync(int attempt, IReadOnlyList<string> workerArguments)
    {
        var info = CreateStartInfo(workerArguments);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the worker process");
        Console.WriteLine($"   $ {Path.GetFileName(info.FileName)} {string.Join(' ', info.ArgumentList.Select(Shorten))}   (pid {process.Id})");
        var report = new AttemptReport(attempt);
        var errors = process.StandardError.ReadToEndAsync();
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (!report.TryRecord(line))
            {
                Console.WriteLine($"   | {line}");
            }
        }

        await process.WaitForExitAsync();
        report.ExitCode = process.ExitCode;
        foreach (var line in (await errors).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Console.WriteLine($"   ! {line}");
        }

        var how = report.ExitCode switch
        {
            0 => "finished normally",
            137 => "SIGKILL: no dispose, no finally block ran; the OS released its lock",
            _ => "failed",
        };
        Console.WriteLine($"   worker exited with code {report.ExitCode} ({how})");
        return report;
    }

    private static string Shorten(string argument) =>
        argument.EndsWith(".dll", StringComparison.Ordinal) ? Path.GetFileName(argument)
        : argument.Contains(' ', StringComparison.Ordinal) ? $"\"{argument}\""
        : argument;

    /// <summary>Runs <c>dotnet Checkpointing.Demo.dll</c> when started that way, else this program's own launcher.</summary>
    private static ProcessStartInfo CreateStartInfo(IReadOnlyList<string> workerArguments)
    {
        var self = Environment.ProcessPath ?? "dotnet";
        var viaDotnet = Path.GetFileNameWithoutExtension(self) == "dotnet";
        var info = new ProcessStartInfo(self)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (viaDotnet)
        {
            info.ArgumentList.Add(typeof(WorkerProcess).Assembly.Location);
        }

        foreach (var argument in workerArguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }
}
