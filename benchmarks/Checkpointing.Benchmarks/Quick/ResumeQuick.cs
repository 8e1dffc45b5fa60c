using System.Diagnostics;
using System.Text.Json;
using Checkpointing.Benchmarks.Support;
using Checkpointing.FileStore;
using Checkpointing.Json;
using Checkpointing.LlmCache;

namespace Checkpointing.Benchmarks.Quick;

/// <summary>
/// (d): resume of a ~64 MB history, stored compacted and stored as a journal. Each sample restores the history's files
/// (so every resume starts from the same bytes, warm in the page cache), then times a new manager's
/// <see cref="CheckpointManager.ResumeAsync"/>: lock, read, parse, journal replay, the resumed record, cache rebuild.
/// The breakdown times the parts on their own, through the library's internal steps.
/// </summary>
internal static class ResumeQuick
{
    /// <summary>The options the library parses documents with (its own parse helper is internal and may move).</summary>
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 64, AllowDuplicateProperties = false };

    public static async Task RunAsync(string root, IReadOnlyDictionary<HistoryLayout, string> histories, int iterations, Report report)
    {
        Report.Section("(d) resume (new manager, ResumeAsync = lock + load + journal replay + cache rebuild) of a ~64 MB history");
        foreach (var (layout, history) in histories)
        {
            var bytes = History.StoredBytes(history);
            var megabytes = bytes / (1024.0 * 1024.0);
            var (resume, cpu, compacted) = await MeasureAsync(root, layout, history, iterations, compactOnResume: true);
            Report.Line($"{layout}: {Report.Bytes(bytes)} stored; resume {resume}; compacted inside ResumeAsync: {(compacted ? "yes" : "no")}");
            Report.Line($"  CPU time of the process during resume (all threads, GC included): median {Report.Ms(cpu.Median)} = {megabytes / (cpu.Median / 1000):F0} MB per CPU-second");
            if (compacted)
            {
                // A journal larger than its snapshot is folded on the first write after opening it, here the resumed
                // record: that is compaction, not load + replay + cache rebuild. Measure those with the writer's settings.
                var (withoutCompaction, _, _) = await MeasureAsync(root, layout, history, iterations, compactOnResume: false);
                Report.Line($"  without that compaction (the history writer's MinCompactionBytes): resume {withoutCompaction}");
                Report.Line($"  so the compaction inside the resume took about {Report.Ms(resume.Median - withoutCompaction.Median)}");
                resume = withoutCompaction;
            }

            await PrintBreakdownAsync(history, iterations);
            report.AtLeast($"resume throughput (load + replay + cache rebuild), {layout} (median)", megabytes / (resume.Median / 1000), 300, "MB/s");
        }
    }

    private static async Task<(Samples Resume, Samples Cpu, bool Compacted)> MeasureAsync(
        string root, HistoryLayout layout, string history, int iterations, bool compactOnResume)
    {
        var work = Path.Combine(root, "resume-" + layout);
        var resume = new Samples();
        var cpu = new Samples();
        var compacted = false;
        for (var i = -1; i < iterations; i++)
        {
            ScratchDirectory.CopyFiles(history, work);
            var snapshot = new FileInfo(CardPaths.For(Path.GetFullPath(work), Workload.CardId).Snapshot);
            var before = snapshot.Length;
            var options = compactOnResume
                ? new FileSystemCheckpointRepositoryOptions()
                : new FileSystemCheckpointRepositoryOptions { MinCompactionBytes = long.MaxValue };
            var manager = new CheckpointManager(Workload.CardId, new FileSystemCheckpointRepository(work, options));
            await using (manager)
            {
                var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                var start = Stopwatch.GetTimestamp();
                await manager.ResumeAsync();
                var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (i >= 0)
                {
                    resume.Add(elapsed); // i == -1 is the warm-up
                    cpu.Add((Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds);
                }

                snapshot.Refresh();
                compacted = snapshot.Length != before;
            }
        }

        return (resume, cpu, compacted);
    }

    private static async Task PrintBreakdownAsync(string history, int iterations)
    {
        var paths = CardPaths.For(Path.GetFullPath(history), Workload.CardId);
        var read = new Samples();
        var parse = new Samples();
        var materialize = new Samples();
        var replay = new Samples();
        var rebuild = new Samples();
        var load = new Samples();
        var loadGcPause = new Samples();
        var repository = new FileSystemCheckpointRepository(history);
        var records = 0;
        for (var i = 0; i < iterations; i++)
        {
            byte[]? snapshotBytes = null, journalBytes = null;
            await read.TimeAsync(async () =>
            {
                snapshotBytes = await DurableFile.ReadAllAsync(paths.Snapshot, long.MaxValue, CancellationToken.None);
                journalBytes = await DurableFile.ReadAllAsync(paths.Journal, long.MaxValue, CancellationToken.None);
            });
            parse.Time(() => JsonDocument.Parse(snapshotBytes, ParseOptions).Dispose());
            SnapshotDocument? document = null;
            // As the store reads it: texts cut out (LlmTextSkeleton) and left undecoded in the file's bytes.
            materialize.Time(() => document = CheckpointJsonReader.ReadSnapshot(snapshotBytes!, new JsonReadContext(paths.Snapshot, DeferResponseText: true)));
            JournalState? state = null;
            replay.Time(() => state = JournalReplay.Replay(journalBytes, paths.Journal, document!));
            records = state!.Records;
            rebuild.Time(() => new LlmResponseCache().Rebuild(state.Checkpoint));
            var pause = GC.GetTotalPauseDuration();
            await load.TimeAsync(() => repository.LoadAsync(Workload.CardId));
            loadGcPause.Add((GC.GetTotalPauseDuration() - pause).TotalMilliseconds);
        }

        Report.Line($"  read files {Report.Ms(read.Median)} | whole snapshot JsonDocument.Parse (not done by the store) {Report.Ms(parse.Median)} | snapshot read as the store does (skeleton, parse, materialize) {Report.Ms(materialize.Median)}"
            + $" | journal replay ({records} records) {Report.Ms(replay.Median)} | cache rebuild {Report.Ms(rebuild.Median)} | repository LoadAsync {Report.Ms(load.Median)}, of which GC pauses {Report.Ms(loadGcPause.Median)}");
    }
}
