using BenchmarkDotNet.Attributes;
using Checkpointing.Benchmarks.Support;

namespace Checkpointing.Benchmarks;

/// <summary>
/// Write-ahead caching of one ~6 KB response (<see cref="CheckpointManager.CacheLlmResponseAsync"/>) on a run with
/// <see cref="CachedResponses"/> responses, beside an append + fdatasync of the same record to an open file (the baseline).
/// Each iteration restores the run's files and resumes it.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8, invocationCount: 64)]
public class LlmResponseCacheBenchmarks
{
    private const string PendingStage = "stage-pending";

    private ScratchDirectory? _scratch;
    private string _history = "";
    private string _work = "";
    private DiskFloor? _floor;
    private CheckpointManager? _manager;
    private LlmResponse _response = Workload.Response(0, 0);
    private byte[] _record = [];

    /// <summary>Gets or sets the responses cached before the measured ones.</summary>
    [Params(10, 10_000)]
    public int CachedResponses { get; set; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        _scratch = new ScratchDirectory("bdn-llm-cache");
        _history = _scratch.Subdirectory("history");
        _work = Path.Combine(_scratch.Path, "work");
        _floor = new DiskFloor(_scratch.Subdirectory("floor"));
        History.WriteAsync(_history, CachedResponses / Workload.ResponsesPerStage, HistoryLayout.MostlySnapshot).GetAwaiter().GetResult();
        _response = Workload.Response(999_999, 0);
        _record = JournalRecord.Of(new LlmResponseCached(1, DateTimeOffset.UtcNow, PendingStage, _response));
    }

    [IterationSetup(Target = nameof(CacheResponse))]
    public void RestoreRun()
    {
        ScratchDirectory.CopyFiles(_history, _work);
        _manager = new CheckpointManager(Workload.CardId, new CheckpointManagerOptions { CheckpointDirectory = _work });
        _manager.ResumeAsync().GetAwaiter().GetResult();
    }

    [IterationCleanup(Target = nameof(CacheResponse))]
    public void CloseRun() => _manager?.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "disk floor: append + fdatasync")]
    public void AppendFloor() => _floor!.Append(_record);

    [Benchmark(Description = "CacheLlmResponseAsync")]
    public Task CacheResponse() => _manager!.CacheLlmResponseAsync(PendingStage, _response);

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _floor?.Dispose();
        _scratch?.Dispose();
    }
}
