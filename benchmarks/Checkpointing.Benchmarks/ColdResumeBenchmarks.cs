using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Checkpointing.Benchmarks.Quick;
using Checkpointing.Benchmarks.Support;

namespace Checkpointing.Benchmarks;

/// <summary>
/// Resume of the ~61 MB history in a fresh process, as a restarted worker does it: one operation spawns this benchmark
/// with <c>--resume-child</c> and waits for its <c>ready</c> line (process start to a resumed manager with its cache
/// ready). Compare with <see cref="ResumeBenchmarks"/>, the same resume in a warm process. <see cref="Image"/> picks the
/// Checkpointing.dll the child runs: the linux-x64 ReadyToRun image the package ships, or the IL build.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class ColdResumeBenchmarks
{
    private const int Stages = 1000;

    private ScratchDirectory? _scratch;
    private string _history = "";
    private string _work = "";

    /// <summary>Gets or sets where the history's bytes are.</summary>
    [Params(HistoryLayout.MostlySnapshot, HistoryLayout.MostlyJournal)]
    public HistoryLayout Layout { get; set; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        _scratch = new ScratchDirectory("bdn-cold-resume");
        _history = _scratch.Subdirectory("history");
        _work = Path.Combine(_scratch.Path, "work");
        History.WriteAsync(_history, Stages, Layout).GetAwaiter().GetResult();
    }

    /// <summary>Gets or sets which Checkpointing.dll the fresh process runs.</summary>
    [Params(ChildImage.ReadyToRun, ChildImage.IL)]
    public ChildImage Image { get; set; }

    [IterationSetup]
    public void RestoreHistory() => ScratchDirectory.CopyFiles(_history, _work);

    [Benchmark(Description = "fresh process: start to resumed manager with cache ready")]
    public async Task<double> FreshProcessResume() => (await ColdResumeQuick.SpawnAsync(_work, Image, _scratch!.Path)).Total;

    [GlobalCleanup]
    public void GlobalCleanup() => _scratch?.Dispose();
}
