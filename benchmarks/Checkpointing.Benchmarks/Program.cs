using BenchmarkDotNet.Running;
using Checkpointing.Benchmarks.Quick;
using Checkpointing.Benchmarks.Support;

// `--quick`: every target ratio in one plain Stopwatch run (minutes); anything else goes to BenchmarkDotNet, e.g. `--filter '*'`.
if (args is [ColdResumeQuick.ChildArgument, var directory])
{
    return await ColdResumeQuick.RunChildAsync(directory);
}

// `--resume-phases DIR`: the steps of a resume timed in a fresh process, first and second time (for profiling by hand)
if (args is [ResumePhasesChild.Argument, var phasesDirectory])
{
    return await ResumePhasesChild.RunAsync(phasesDirectory);
}

// `--write-history DIR LAYOUT`: the quick mode's ~61 MB history, kept, for profiling a resume child by hand
// (`dotnet bin/.../Checkpointing.Benchmarks.dll --resume-child DIR`, e.g. with DOTNET_JitStdOutFile and DOTNET_JitDisasmSummary=1).
if (args is ["--write-history", var historyDirectory, var layoutName])
{
    await History.WriteAsync(historyDirectory, 1000, Enum.Parse<HistoryLayout>(layoutName));
    return 0;
}

if (args.Contains("--quick"))
{
    return await QuickMode.RunAsync(QuickOptions.Parse(args));
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
