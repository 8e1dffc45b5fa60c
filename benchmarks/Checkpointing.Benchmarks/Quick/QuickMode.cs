using System.Diagnostics;
using System.Runtime.InteropServices;
using Checkpointing.Benchmarks.Support;

namespace Checkpointing.Benchmarks.Quick;

/// <summary>
/// <c>--quick</c>: every ratio of the issue's benchmark list in one run, without BenchmarkDotNet: plain
/// <see cref="Stopwatch"/> loops, a warm-up first, medians and means, each ratio printed with its target and PASS/FAIL.
/// </summary>
internal static class QuickMode
{
    private const int HistoryStages = 1000;

    public static async Task<int> RunAsync(QuickOptions options)
    {
        using var scratch = new ScratchDirectory("quick", options.Root);
        Console.WriteLine($"Checkpointing quick benchmarks: {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}, "
            + $"{Environment.ProcessorCount} cores, {(Debugger.IsAttached ? "debugger attached" : "no debugger")}");
        Console.WriteLine($"scratch: {scratch.Path} ({new DriveInfo(scratch.Path).DriveFormat}); {options.Iterations} iterations, {options.ResumeIterations} resumes; MB = 2^20 bytes");
        Console.WriteLine($"load average at start: {LoadAverage()} (other processes share the cores and the disk: compare ratios, not absolutes)");

        var started = Stopwatch.GetTimestamp();
        var histories = new Dictionary<HistoryLayout, string>();
        foreach (var layout in options.Runs('c') || options.Runs('d') || options.Runs('e') || options.Runs('h') ? Enum.GetValues<HistoryLayout>() : [])
        {
            var history = scratch.Subdirectory("history-" + layout);
            var bytes = await History.WriteAsync(history, HistoryStages, layout);
            histories[layout] = history;
            Console.WriteLine($"history {layout}: {HistoryStages} stages x {Workload.ResponsesPerStage} responses, {Report.Bytes(bytes)}");
        }

        if (histories.Count > 0)
        {
            Console.WriteLine($"histories written in {Report.Ms(Stopwatch.GetElapsedTime(started).TotalMilliseconds)}");
        }
        var report = new Report();
        if (options.Runs('a') || options.Runs('b'))
        {
            await StageSaveQuick.RunAsync(scratch.Path, report);
        }

        if (options.Runs('c'))
        {
            await CacheWriteQuick.RunAsync(scratch.Path, histories[HistoryLayout.MostlySnapshot], options.Iterations, report);
        }

        if (options.Runs('d'))
        {
            await ResumeQuick.RunAsync(scratch.Path, histories, options.ResumeIterations, report);
        }

        if (options.Runs('e'))
        {
            await LookupQuick.RunAsync(scratch.Path, histories[HistoryLayout.MostlySnapshot], options.Iterations, report);
        }

        if (options.Runs('g'))
        {
            await WorkloadQuick.RunAsync(scratch.Path, report);
        }

        if (options.Runs('h'))
        {
            await ColdResumeQuick.RunAsync(scratch.Path, histories, options.ResumeIterations, report);
        }

        if (options.Runs('i'))
        {
            await SqliteFoldQuick.RunAsync(scratch.Path, report);
        }

        if (options.Runs('f'))
        {
            await DatabaseStoresQuick.RunAsync(scratch.Path, options.Iterations, report);
        }

        report.PrintSummary();
        Console.WriteLine($"total time {Report.Ms(Stopwatch.GetElapsedTime(started).TotalMilliseconds)}; load average at end: {LoadAverage()}");
        return 0;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
