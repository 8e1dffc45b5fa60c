using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Checkpointing.Benchmarks.Support;

namespace Checkpointing.Benchmarks;

/// <summary>
/// Resume of a 1000-stage history (~61 MB: 10,000 responses of ~6 KB): a new manager's
/// <see cref="CheckpointManager.ResumeAsync"/> takes the lock, loads the snapshot, replays the journal, appends the resumed
/// record and rebuilds the LLM response cache. Each iteration restores the files first. Throughput is the history's
/// size (printed by the quick mode) over the mean.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class ResumeBenchmarks
{
    private const int Stages = 1000;

    private ScratchDirectory? _scratch;
    private string _history = "";
    private string _work = "";
    private CheckpointManager? _manager;

    /// <summary>Gets or sets where the history's bytes are.</summary>
    [Params(HistoryLayout.MostlySnapshot, HistoryLayout.MostlyJournal)]
    public HistoryLayout Layout { get; set; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        _scratch = new ScratchDirectory("bdn-resume");
        _history = _scratch.Subdirectory("history");
        _work = Path.Combine(_scratch.Path, "work");
        History.WriteAsync(_history, Stages, Layout).GetAwaiter().GetResult();
    }

    [IterationSetup]
    public void RestoreHistory() => ScratchDirectory.CopyFiles(_history, _work);

    [IterationCleanup]
    public void CloseRun() => _manager?.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "new manager + ResumeAsync")]
    public async Task<PipelineCheckpoint?> Resume()
    {
        _manager = new CheckpointManager(Workload.CardId, new CheckpointManagerOptions { CheckpointDirectory = _work });
        return await _manager.ResumeAsync();
    }

    [GlobalCleanup]
    public void GlobalCleanup() => _scratch?.Dispose();
}
