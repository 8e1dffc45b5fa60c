using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Checkpointing.Benchmarks.Support;

namespace Checkpointing.Benchmarks.Quick;

/// <summary>
/// (h): resume in a fresh process, as a restarted worker does it: the benchmark starts itself with
/// <c>--resume-child DIR</c>, which resumes the card and rebuilds its cache, prints <c>ready</c> and exits. Timed from
/// just before the process starts to that line (runtime start-up, JIT and all), beside a warm resume of the same files
/// in this process (after a warm-up). Every sample restores the files first, so the page cache is warm for both.
/// </summary>
internal static class ColdResumeQuick
{
    /// <summary>The argument that makes the benchmark a resume child.</summary>
    public const string ChildArgument = "--resume-child";

    public static async Task RunAsync(string root, IReadOnlyDictionary<HistoryLayout, string> histories, int iterations, Report report)
    {
        Report.Section("(h) resume in a fresh process (spawned; process start to a resumed manager with its cache ready) vs a warm resume of the same files");
        foreach (var (layout, history) in histories)
        {
            var work = Path.Combine(root, "cold-resume-" + layout);
            var megabytes = History.StoredBytes(history) / (1024.0 * 1024.0);
            var cold = new Samples();
            var childResume = new Samples();
            var jitted = new Samples();
            var jitMs = new Samples();
            var warm = new Samples();
            for (var i = -1; i < iterations; i++)
            {
                ScratchDirectory.CopyFiles(history, work);
                var (total, inChild, methods, jitTime) = await SpawnAsync(work);
                ScratchDirectory.CopyFiles(history, work);
                var warmMs = await ResumeHereAsync(work);
                if (i >= 0)
                {
                    cold.Add(total);
                    childResume.Add(inChild);
                    jitted.Add(methods);
                    jitMs.Add(jitTime);
                    warm.Add(warmMs);
                }
            }

            Report.Line($"{layout} ({megabytes:F1} MB): fresh process {cold}");
            Report.Line($"  of which ResumeAsync inside the child: {childResume}; the rest is process and runtime start-up");
            Report.Line(string.Create(CultureInfo.InvariantCulture, $"  methods the child JIT-compiled by then: {jitted.Median:F0}, JIT time (all threads) {Report.Ms(jitMs.Median)}"));
            Report.Line($"  warm resume in this process: {warm}");
            report.AtMost($"fresh-process resume / warm resume, {layout}", cold.Median / warm.Median, 1.5);
            report.AtLeast($"fresh-process resume throughput, {layout}", megabytes / (cold.Median / 1000), 300, "MB/s");
            report.AtLeast($"warm resume throughput, {layout}", megabytes / (warm.Median / 1000), 600, "MB/s");
        }
    }

    /// <summary>The child's side: resume, say how long ResumeAsync took, exit (the caller times the whole process).</summary>
    public static async Task<int> RunChildAsync(string directory)
    {
        var start = Stopwatch.GetTimestamp();
        var manager = new CheckpointManager(Workload.CardId, new CheckpointManagerOptions { CheckpointDirectory = directory });
        await using (manager)
        {
            if (await manager.ResumeAsync() is null)
            {
                await Console.Error.WriteLineAsync($"nothing to resume in {directory}");
                return 1;
            }

            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"ready {Stopwatch.GetElapsedTime(start).TotalMilliseconds:R} {System.Runtime.JitInfo.GetCompiledMethodCount()} {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:R}"));
        }

        return 0;
    }

    /// <summary>Resumes the card in <paramref name="directory"/> in a fresh process; returns the times in milliseconds and the JIT counts the child reported.</summary>
    public static async Task<(double Total, double InChild, double JittedMethods, double JitMs)> SpawnAsync(string directory)
    {
        var processPath = Environment.ProcessPath!;
        var start = new ProcessStartInfo(processPath) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(processPath) == "dotnet")
        {
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        start.ArgumentList.Add(ChildArgument);
        start.ArgumentList.Add(directory);
        var started = Stopwatch.GetTimestamp();
        using var child = Process.Start(start)!;
        var line = await child.StandardOutput.ReadLineAsync();
        var total = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        await child.WaitForExitAsync();
        if (line is null || !line.StartsWith("ready ", StringComparison.Ordinal) || child.ExitCode != 0)
        {
            throw new InvalidOperationException($"The resume child failed (exit code {child.ExitCode}, first line '{line}').");
        }

        var parts = line.Split(' ');
        return (total, double.Parse(parts[1], CultureInfo.InvariantCulture), double.Parse(parts[2], CultureInfo.InvariantCulture), double.Parse(parts[3], CultureInfo.InvariantCulture));
    }

    private static async Task<double> ResumeHereAsync(string directory)
    {
        var manager = new CheckpointManager(Workload.CardId, new CheckpointManagerOptions { CheckpointDirectory = directory });
        await using (manager)
        {
            var start = Stopwatch.GetTimestamp();
            await manager.ResumeAsync();
            return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
    }
}
