using System.Diagnostics;
using System.Globalization;
using Checkpointing.Benchmarks.Support;
using Checkpointing.FileStore;

namespace Checkpointing.Benchmarks.Quick;

/// <summary>
/// (a) and (b): durable stage saves through a real file store. One long run saves stages 1 to 1999. While it saves
/// stages 1000 to 1999, each of its saves is followed by a save on a short run that cycles through stages 1 to 19 (a
/// fresh card each cycle), so saves at stage 10 to 19 and at stage 1000 to 1999 are sampled side by side, under the same
/// load, and each window holds about one compaction per cycle (the journal is folded when it outgrows the snapshot, so
/// compactions come at doubling sizes). Every measured save is followed by the disk floor for the same bytes.
/// </summary>
internal static class StageSaveQuick
{
    private const int EarlyStage = 10;
    private const int LateStage = 1000;

    public static async Task RunAsync(string root, Report report)
    {
        Report.Section($"(a) durable stage save (SaveStageCheckpointAsync, {Workload.ResponsesPerStage} x ~6 KB responses) at stages {EarlyStage}-{(2 * EarlyStage) - 1} vs {LateStage}-{(2 * LateStage) - 1}");
        using var floor = new DiskFloor(Directory.CreateDirectory(Path.Combine(root, "floor-stage")).FullName);
        var early = new Window();
        var late = new Window();
        var compactions = new List<string>();
        var shortRuns = 0;
        var longRun = await Run.StartAsync(Path.Combine(root, "stage-save-long"), 2 * LateStage);
        await using (longRun.Manager)
        {
            Run? shortRun = null;
            for (var stage = 1; stage < 2 * LateStage; stage++)
            {
                var (saved, compacted) = await longRun.SaveNextAsync();
                if (compacted)
                {
                    compactions.Add(string.Create(CultureInfo.InvariantCulture, $"{stage} ({Report.Ms(saved)})"));
                }

                if (stage < LateStage)
                {
                    continue;
                }

                late.Add(saved, compacted, longRun, floor);
                if (shortRun is null || shortRun.Stage == 2 * EarlyStage - 1)
                {
                    if (shortRun is not null)
                    {
                        await shortRun.Manager.DisposeAsync();
                    }

                    shortRun = await Run.StartAsync(Path.Combine(root, $"stage-save-short-{++shortRuns}"), 2 * EarlyStage);
                }

                var (shortSaved, shortCompacted) = await shortRun.SaveNextAsync();
                if (shortRun.Stage >= EarlyStage)
                {
                    early.Add(shortSaved, shortCompacted, shortRun, floor);
                }
            }

            if (shortRun is not null)
            {
                await shortRun.Manager.DisposeAsync();
            }

            Report.Line($"stages {EarlyStage}-{(2 * EarlyStage) - 1} of {shortRuns} short runs: {early.Saves}; {early.Compactions} compactions, {Report.Ms(early.CompactionMs)} in those saves");
            Report.Line($"stages {LateStage}-{(2 * LateStage) - 1} of the long run: {late.Saves}; {late.Compactions} compaction(s), {Report.Ms(late.CompactionMs)} in those saves");
            Report.Line($"long run compactions at stages {string.Join(", ", compactions)}; final snapshot {Report.Bytes(longRun.SnapshotBytes)}");
            Report.Line($"journal record of one stage: {Report.Bytes(late.RecordBytes)}");
        }

        report.AtMost($"median save at stages {LateStage}+ / at stages {EarlyStage}+", late.Saves.Median / early.Saves.Median, 1.5);
        report.AtMost($"mean save at stages {LateStage}+ / at stages {EarlyStage}+, compactions in", late.Saves.Mean / early.Saves.Mean, 2);

        Report.Section("(b) durable stage save vs disk floor (temp file + fsync + rename + directory fsync of the same bytes)");
        Report.Line($"floor beside stages {EarlyStage}+:   {early.Floor}");
        Report.Line($"floor beside stages {LateStage}+: {late.Floor}");
        report.AtMost($"median save / floor at stages {EarlyStage}+", early.Saves.Median / early.Floor.Median, 2);
        report.AtMost($"median save / floor at stages {LateStage}+", late.Saves.Median / late.Floor.Median, 2);
    }

    /// <summary>A run being saved stage by stage, watching its snapshot to tell which saves compacted.</summary>
    private sealed class Run(CheckpointManager manager, FileInfo snapshot)
    {
        public CheckpointManager Manager { get; } = manager;

        public int Stage { get; private set; }

        public long SnapshotBytes { get; private set; } = snapshot.Length;

        public static async Task<Run> StartAsync(string directory, int totalStages)
        {
            var manager = new CheckpointManager(Workload.CardId, new CheckpointManagerOptions { CheckpointDirectory = directory });
            await manager.CreateCheckpointAsync(totalStages);
            return new Run(manager, new FileInfo(CardPaths.For(Path.GetFullPath(directory), Workload.CardId).Snapshot));
        }

        /// <summary>Saves the next stage; returns its time in milliseconds and whether it compacted.</summary>
        public async Task<(double Milliseconds, bool Compacted)> SaveNextAsync()
        {
            var responses = Workload.StageResponses(++Stage);
            var start = Stopwatch.GetTimestamp();
            await Manager.SaveStageCheckpointAsync(Workload.StageName(Stage), StageStatus.Completed, llmResponses: responses);
            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            snapshot.Refresh();
            var compacted = snapshot.Length != SnapshotBytes;
            SnapshotBytes = snapshot.Length;
            return (elapsed, compacted);
        }

        /// <summary>The journal record of the stage saved last.</summary>
        public byte[] LastRecord()
        {
            var checkpoint = Manager.Checkpoint!;
            var stage = checkpoint.StageCheckpoints[Workload.StageName(Stage)];
            return JournalRecord.Of(new StageRecorded(checkpoint.Version, checkpoint.UpdatedAt, stage));
        }
    }

    /// <summary>The saves of one range of stages, each followed by the disk floor for its bytes.</summary>
    private sealed class Window
    {
        public Samples Saves { get; } = new();

        public Samples Floor { get; } = new();

        public int Compactions { get; private set; }

        public double CompactionMs { get; private set; }

        public int RecordBytes { get; private set; }

        public void Add(double milliseconds, bool compacted, Run run, DiskFloor floor)
        {
            Saves.Add(milliseconds);
            if (compacted)
            {
                Compactions++;
                CompactionMs += milliseconds;
            }

            var record = run.LastRecord();
            RecordBytes = record.Length;
            Floor.Time(() => floor.Replace(record));
        }
    }
}
