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
/// it, as IL: both kinds side by side in one run. The child says which kind it loaded. When a NativeAOT-compiled child
/// has been published (benchmarks/Checkpointing.ResumeChild.Aot), it takes turns too, on an extra line for comparison.
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

        // For comparison only, after the others: a child compiled ahead of time, when one has been published.
        if (ResumeChildApps.NativeAotChild is null)
        {
            Report.Line($"no NativeAOT resume child (for comparison only; publish it with {ResumeChildApps.NativeAotPublishCommand}, which needs clang)");
        }
        else
        {
            images = [.. images, ChildImage.NativeAot];
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
                var what = image == ChildImage.NativeAot
                    ? "NativeAOT-compiled child (for comparison only: not what the package ships, no target judged on it)"
                    : $"Checkpointing.dll {child.Kind}";
                Report.Line(string.Create(
                    CultureInfo.InvariantCulture,
                    $"  fresh process, {what}: {child.Total}; {child.Total.Median / warm.Median:F2}x warm"));
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

    /// <summary>The child's side (see <see cref="ResumeChild"/>): says which Checkpointing.dll it loaded, ReadyToRun or IL.</summary>
    public static Task<int> RunChildAsync(string directory) =>
        ResumeChild.RunAsync(directory, () => AssemblyImage.KindOf(typeof(CheckpointManager).Assembly.Location));

    /// <summary>Resumes the card in <paramref name="directory"/> in a fresh process that runs <paramref name="image"/>; returns what it measured and reported.</summary>
    public static async Task<ChildResult> SpawnAsync(string directory, ChildImage image, string root)
    {
        ProcessStartInfo start;
        if (image == ChildImage.NativeAot)
        {
            start = new ProcessStartInfo(ResumeChildApps.NativeAotChild ?? throw new InvalidOperationException(
                $"No NativeAOT resume child: publish it with {ResumeChildApps.NativeAotPublishCommand}."));
        }
        else
        {
            start = new ProcessStartInfo(DotnetHost());
            start.ArgumentList.Add(Path.Combine(ResumeChildApps.AppDirectory(image, root), typeof(ColdResumeQuick).Assembly.GetName().Name + ".dll"));
            start.ArgumentList.Add(ChildArgument);
        }

        start.RedirectStandardOutput = true;
        start.UseShellExecute = false;
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
        var expected = image switch
        {
            ChildImage.ReadyToRun => "ReadyToRun",
            ChildImage.NativeAot => "NativeAOT",
            _ => "IL",
        };
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
