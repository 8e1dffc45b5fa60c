using System.Diagnostics;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Extensions.DependencyInjection.Tests;

/// <summary>Runs the worker-service sample as a real process, twice: the second start finds every card done and pays nothing.</summary>
public sealed class WorkerSampleTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Sample_RunsEveryCardThenASecondStartPaysNothing()
    {
        var first = await RunSampleAsync();

        first.ExitCode.Should().Be(0, first.Output);
        first.Output.Should().Contain("CARD-101: completed").And.Contain("CARD-103: completed").And.Contain("paid call #18");

        var second = await RunSampleAsync();

        second.ExitCode.Should().Be(0, second.Output);
        second.Output.Should().Contain("CARD-101: already completed").And.Contain("CARD-103: already completed");
        second.Output.Should().NotContain("paid call", "finished cards are kept, not paid for again");
    }

    private async Task<(int ExitCode, string Output)> RunSampleAsync()
    {
        // The sample (an app for .NET 10 only) is built beside this project, in the same configuration.
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var root = output.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var sample = Path.Combine(root, "samples", "Checkpointing.WorkerService", "bin", output.Parent!.Name, "net10.0", "Checkpointing.WorkerService.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _temp.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { sample, "--Pipeline:ModelLatency=00:00:00", "--Pipeline:ExportTelemetry=false", "--Logging:Console:FormatterName=simple" })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"The sample did not stop within 2 minutes: {await stdout}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
