using System.Diagnostics;
using System.Globalization;
using Checkpointing.Benchmarks.Support;
using Checkpointing.FileStore;
using Checkpointing.Json;
using Checkpointing.LlmCache;

namespace Checkpointing.Benchmarks.Quick;

/// <summary>
/// For profiling a fresh process by hand (<c>--resume-phases DIR</c>): the steps of a resume through the library's
/// internal parts (read, snapshot read as the store does, journal replay, cache rebuild), timed the first time this
/// process runs them and then a second time, so that what a fresh process pays once (JIT, tier-0 code, first-touch
/// page faults) shows per step.
/// </summary>
internal static class ResumePhasesChild
{
    public const string Argument = "--resume-phases";

    public static async Task<int> RunAsync(string directory)
    {
        var paths = CardPaths.For(Path.GetFullPath(directory), Workload.CardId);
        for (var pass = 1; pass <= 2; pass++)
        {
            var started = Stopwatch.GetTimestamp();
            var snapshot = await DurableFile.ReadAllAsync(paths.Snapshot, long.MaxValue, CancellationToken.None);
            var journal = await DurableFile.ReadAllAsync(paths.Journal, long.MaxValue, CancellationToken.None);
            var read = Stopwatch.GetElapsedTime(started);
            started = Stopwatch.GetTimestamp();
            var document = CheckpointJsonReader.ReadSnapshot(snapshot!, new JsonReadContext(paths.Snapshot, DeferResponseText: true));
            var materialize = Stopwatch.GetElapsedTime(started);
            started = Stopwatch.GetTimestamp();
            var state = JournalReplay.Replay(journal, paths.Journal, document);
            var replay = Stopwatch.GetElapsedTime(started);
            started = Stopwatch.GetTimestamp();
            new LlmResponseCache().Rebuild(state.Checkpoint);
            var rebuild = Stopwatch.GetElapsedTime(started);
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"pass {pass}: read {read.TotalMilliseconds:F1} ms | snapshot read as the store does {materialize.TotalMilliseconds:F1} ms | replay {replay.TotalMilliseconds:F1} ms | cache rebuild {rebuild.TotalMilliseconds:F1} ms | JIT so far {System.Runtime.JitInfo.GetCompiledMethodCount()} methods, {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:F1} ms"));
        }

        return 0;
    }
}
