using System.Diagnostics;
using System.Globalization;
using Checkpointing.Benchmarks.Support;

namespace Checkpointing.Benchmarks.Quick;

/// <summary>
/// (h): resume in a fresh process, as a restarted worker does it: the benchmark starts itself with
/// <c>--resume-child DIR</c>, which resumes the card and rebuilds its cache, prints <c>ready</c> and exits. Timed from
/// just before the process starts to that line (runtime start-up, JIT and all), beside a warm resume of the same files
/// in this process (after a warm-up). Every sample restores the files first, so the page cache is warm for both.
/// The child runs Checkpointing.dll as the package ships it for linux-x64 (the ReadyToRun image), and, in turns with
/// it, as IL: both kinds side by side in one run. The child says which kind it loaded.
/// </summary>
internal static class ColdResumeQuick
{
    /// <summary>The argument that makes the benchmark a resume child.</summary>
    public const string ChildArgument = "--resume-child";

    public static async Task RunAsync(string root, IReadOnlyDictionary<HistoryLayout, string> histories, int iterations, Report report)
    {
        Report.Section("(h) resume in a fresh process (spawned; process start to a resumed manager with its cache ready) vs a warm resume of the same files");
        ChildImage[] images = ResumeChildApps.ReadyToRunImage is null ? [ChildImage.IL] : [ChildImage.ReadyToRun, ChildImage.IL];
        if (images.Length == 1)
        {
            Report.Line("no ReadyToRun image beside the benchmark (it is built for linux-x64 only): the child runs the IL build only");
        }

        foreach (var (layout, history) in histories)
        {
            var work = Path.Combine(root, "cold-resume-" + layout);
            var megabytes = History.StoredBytes(history) / (1024.0 * 1024.0);
            var children = images.ToDictionary(image => image, _ => new ChildSamples());
            var warm = new Samples();
            var warmCpu = new Samples();
            for (var i = -1; i < iterations; i++)
            {
                foreach (var image in images)
                {
                    ScratchDirectory.CopyFiles(history, work);
                    var child = await SpawnAsync(work, image, root);
                    if (i >= 0)
                    {
                        children[image].Add(child);
                    }
                }

                ScratchDirectory.CopyFiles(history, work);
                var (warmMs, warmCpuMs) = await ResumeHereAsync(work);
                if (i >= 0)
                {
                    warm.Add(warmMs);
                    warmCpu.Add(warmCpuMs);
                }
            }

            Report.Line($"{layout} ({megabytes:F1} MB): warm resume in this process: {warm}");
            Report.Line($"  CPU time of the warm resume (all threads of this process): median {Report.Ms(warmCpu.Median)}");
            foreach (var image in images)
            {
                var child = children[image];
                Report.Line(string.Create(
                    CultureInfo.InvariantCulture,
                    $"  fresh process, Checkpointing.dll {child.Kind}: {child.Total}; {child.Total.Median / warm.Median:F2}x warm"));
                Report.Line($"    of which ResumeAsync inside the child: {child.InChild}; the rest is process and runtime start-up");
                Report.Line(string.Create(
                    CultureInfo.InvariantCulture,
                    $"    methods the child JIT-compiled by then: {child.JittedMethods.Median:F0}, JIT time (all threads) {Report.Ms(child.JitMs.Median)}"));
                Report.Line(string.Create(
                    CultureInfo.InvariantCulture,
                    $"    CPU time of the child by then (all threads, start-up included): median {Report.Ms(child.CpuMs.Median)}, {child.CpuMs.Median / warmCpu.Median:F2}x the warm resume's (less sensitive to other load than wall time)"));
            }

            // The targets are judged on what users run: the shipped image where there is one.
            var shipped = children[images[0]];
            report.AtMost($"fresh-process resume / warm resume, {layout}", shipped.Total.Median / warm.Median, 1.5);
            report.AtLeast($"fresh-process resume throughput, {layout}", megabytes / (shipped.Total.Median / 1000), 300, "MB/s");
            report.AtLeast($"warm resume throughput, {layout}", megabytes / (warm.Median / 1000), 600, "MB/s");
        }
    }

    /// <summary>
    /// The child's side: resume, then print <c>ready</c>, how long ResumeAsync took, the JIT's method count and time, the
    /// gen 0/1/2 collection counts, the GC pause total and the CPU time the process used (all threads, start-up
    /// included); then, on a second line, which Checkpointing.dll ran and how many exceptions were thrown by then (worked out after the first line, which stops the
    /// caller's clock: reading the image's headers loads and JITs System.Reflection.Metadata, no part of a resume). Exit
    /// (the caller times the whole process).
    /// </summary>
    public static async Task<int> RunChildAsync(string directory)
    {
        var start = Stopwatch.GetTimestamp();
        var exceptions = 0;
        AppDomain.CurrentDomain.FirstChanceException += (_, _) => Interlocked.Increment(ref exceptions);
        var manager = new CheckpointManager(Workload.CardId, new CheckpointManagerOptions { CheckpointDirectory = directory });
        await using (manager)
        {
            if (await manager.ResumeAsync() is null)
            {
                await Console.Error.WriteLineAsync($"nothing to resume in {directory}");
                return 1;
            }

            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            var thrown = exceptions;
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"ready {elapsed:R} {System.Runtime.JitInfo.GetCompiledMethodCount()} {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:R} {GC.CollectionCount(0)} {GC.CollectionCount(1)} {GC.CollectionCount(2)} {GC.GetTotalPauseDuration().TotalMilliseconds:R} {Environment.CpuUsage.TotalTime.TotalMilliseconds:R}"));
            Console.WriteLine($"image {AssemblyImage.KindOf(typeof(CheckpointManager).Assembly.Location)} exceptions-thrown-by-ready {thrown}");
        }

        return 0;
    }

    /// <summary>Resumes the card in <paramref name="directory"/> in a fresh process that runs <paramref name="image"/>; returns what it measured and reported.</summary>
    public static async Task<ChildResult> SpawnAsync(string directory, ChildImage image, string root)
    {
        var app = ResumeChildApps.AppDirectory(image, root);
        var start = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(app, typeof(ColdResumeQuick).Assembly.GetName().Name + ".dll"));
        start.ArgumentList.Add(ChildArgument);
        start.ArgumentList.Add(directory);
        var started = Stopwatch.GetTimestamp();
        using var child = Process.Start(start)!;
        var line = await child.StandardOutput.ReadLineAsync();
        var total = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var imageLine = await child.StandardOutput.ReadLineAsync();
        await child.WaitForExitAsync();
        if (line is null || !line.StartsWith("ready ", StringComparison.Ordinal) || imageLine is null || !imageLine.StartsWith("image ", StringComparison.Ordinal)
            || child.ExitCode != 0)
        {
            throw new InvalidOperationException($"The resume child failed (exit code {child.ExitCode}, lines '{line}', '{imageLine}').");
        }

        var kind = imageLine.Split(' ')[1];
        var expected = image == ChildImage.ReadyToRun ? "ReadyToRun" : "IL";
        if (kind != expected)
        {
            throw new InvalidOperationException($"The resume child loaded a Checkpointing.dll with {kind} code; it was to run {expected}.");
        }

        var parts = line.Split(' ');
        return new ChildResult(
            total,
            double.Parse(parts[1], CultureInfo.InvariantCulture),
            double.Parse(parts[2], CultureInfo.InvariantCulture),
            double.Parse(parts[3], CultureInfo.InvariantCulture),
            kind,
            double.Parse(parts[8], CultureInfo.InvariantCulture));
    }

    private static string DotnetHost()
    {
        var processPath = Environment.ProcessPath!;
        return Path.GetFileNameWithoutExtension(processPath) == "dotnet" ? processPath : "dotnet";
    }

    /// <summary>Resumes in this process; returns the milliseconds it took and the CPU milliseconds the process used meanwhile (all threads).</summary>
    private static async Task<(double Ms, double CpuMs)> ResumeHereAsync(string directory)
    {
        var manager = new CheckpointManager(Workload.CardId, new CheckpointManagerOptions { CheckpointDirectory = directory });
        await using (manager)
        {
            var cpu = Environment.CpuUsage.TotalTime;
            var start = Stopwatch.GetTimestamp();
            await manager.ResumeAsync();
            return (Stopwatch.GetElapsedTime(start).TotalMilliseconds, (Environment.CpuUsage.TotalTime - cpu).TotalMilliseconds);
        }
    }
}
