using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Checkpointing.Benchmarks.Support;

namespace Checkpointing.Benchmarks;

/// <summary>
/// The Python original's workload end to end (see <see cref="PythonWorkload"/>): one operation is a whole run of
/// 1000 stages to a ~65 MB history, created, saved and closed durably; the Python original took 136 s. The quick mode
/// (<c>--quick --only g</c>) prints the per-save median, p99 and max of the same run.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class PythonWorkloadBenchmarks
{
    private ScratchDirectory? _scratch;
    private int _run;

    /// <summary>Gets or sets whether every answer is written ahead before its stage's save.</summary>
    [Params(false, true)]
    public bool WriteAhead { get; set; }

    [GlobalSetup]
    public void GlobalSetup() => _scratch = new ScratchDirectory("bdn-workload");

    [Benchmark(Description = "1000 stages x 10 responses, create to close")]
    public async Task<double> WholeRun() =>
        (await PythonWorkload.RunAsync(_scratch!.Subdirectory($"run-{++_run}"), WriteAhead)).TotalSeconds;

    [GlobalCleanup]
    public void GlobalCleanup() => _scratch?.Dispose();
}
