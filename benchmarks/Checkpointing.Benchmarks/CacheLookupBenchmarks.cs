using BenchmarkDotNet.Attributes;
using Checkpointing.Benchmarks.Support;
using Checkpointing.LlmCache;

namespace Checkpointing.Benchmarks;

/// <summary>
/// <see cref="CheckpointManager.GetCachedLlmResponse"/> for a 2 KB prompt on a run with 10,000 cached responses,
/// beside the prompt's SHA-256 alone (the baseline): a lookup should cost the hash and allocate nothing.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class CacheLookupBenchmarks
{
    private const int Stages = 1000;

    private ScratchDirectory? _scratch;
    private CheckpointManager? _manager;
    private string _stage = "";
    private string _prompt = "";
    private string _missing = "";

    [GlobalSetup]
    public void GlobalSetup()
    {
        _scratch = new ScratchDirectory("bdn-lookup");
        History.WriteAsync(_scratch.Path, Stages, HistoryLayout.MostlySnapshot).GetAwaiter().GetResult();
        _manager = new CheckpointManager(Workload.CardId, new CheckpointManagerOptions { CheckpointDirectory = _scratch.Path });
        _manager.ResumeAsync().GetAwaiter().GetResult();
        _stage = Workload.StageName(Stages / 2);
        _prompt = Workload.Response(Stages / 2, 3).Prompt;
        _missing = Workload.Text("never sent ", Workload.PromptChars, seed: 42);
        if (_manager.GetCachedLlmResponse(_stage, _prompt, Workload.Model) is null)
        {
            throw new InvalidOperationException("The benchmark prompt is not cached; the workload and the history disagree.");
        }
    }

    [Benchmark(Baseline = true, Description = "SHA-256 of the prompt (PromptHash.Of)")]
    public ulong HashOnly() => PromptHash.Of(_prompt).A;

    [Benchmark(Description = "GetCachedLlmResponse, hit")]
    public LlmResponse? Hit() => _manager!.GetCachedLlmResponse(_stage, _prompt, Workload.Model);

    [Benchmark(Description = "GetCachedLlmResponse, miss")]
    public LlmResponse? Miss() => _manager!.GetCachedLlmResponse(_stage, _missing);

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _manager?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _scratch?.Dispose();
    }
}
