using BenchmarkDotNet.Attributes;
using Checkpointing.Benchmarks.Support;

namespace Checkpointing.Benchmarks;

/// <summary>
/// A durable stage save (<see cref="CheckpointManager.SaveStageCheckpointAsync"/>, ten ~6 KB responses) on a run that
/// already has <see cref="StagesBefore"/> stages, beside the disk floor for the same bytes (the baseline: temp file,
/// fsync, rename, directory fsync). Each iteration restores the run's files and resumes it, so every iteration saves
/// the same stages. A compaction is in an iteration only when it falls there; the quick mode's mean ratio covers whole runs.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8, invocationCount: 32)]
public class StageSaveBenchmarks
{
    private ScratchDirectory? _scratch;
    private string _history = "";
    private string _work = "";
    private DiskFloor? _floor;
    private CheckpointManager? _manager;
    private LlmResponse[] _responses = [];
    private byte[] _record = [];
    private int _next;

    /// <summary>Gets or sets the stages saved before the measured ones.</summary>
    [Params(10, 1000)]
    public int StagesBefore { get; set; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        _scratch = new ScratchDirectory("bdn-stage-save");
        _history = _scratch.Subdirectory("history");
        _work = Path.Combine(_scratch.Path, "work");
        _floor = new DiskFloor(_scratch.Subdirectory("floor"));
        History.WriteAsync(_history, StagesBefore, HistoryLayout.MostlySnapshot).GetAwaiter().GetResult();
        _responses = Workload.StageResponses(StagesBefore + 1);
        var stage = new StageCheckpoint
        {
            StageName = Workload.StageName(StagesBefore + 1),
            Status = StageStatus.Completed,
            StartTime = DateTimeOffset.UtcNow,
            EndTime = DateTimeOffset.UtcNow,
            LlmResponses = _responses,
        };
        _record = JournalRecord.Of(new StageRecorded(StagesBefore + 2, DateTimeOffset.UtcNow, stage));
    }

    [IterationSetup(Target = nameof(SaveStage))]
    public void RestoreRun()
    {
        ScratchDirectory.CopyFiles(_history, _work);
        _manager = new CheckpointManager(Workload.CardId, new CheckpointManagerOptions { CheckpointDirectory = _work });
        _manager.ResumeAsync().GetAwaiter().GetResult();
        _next = StagesBefore;
    }

    [IterationCleanup(Target = nameof(SaveStage))]
    public void CloseRun() => _manager?.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "disk floor: temp + fsync + rename + dir fsync")]
    public void DiskFloor() => _floor!.Replace(_record);

    [Benchmark(Description = "SaveStageCheckpointAsync")]
    public Task SaveStage() =>
        _manager!.SaveStageCheckpointAsync(Workload.StageName(++_next), StageStatus.Completed, llmResponses: _responses);

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _floor?.Dispose();
        _scratch?.Dispose();
    }
}
