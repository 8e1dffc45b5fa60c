using BenchmarkDotNet.Running;
using Checkpointing.Benchmarks.Quick;

// `--quick`: every target ratio in one plain Stopwatch run (minutes); anything else goes to BenchmarkDotNet, e.g. `--filter '*'`.
if (args is [ColdResumeQuick.ChildArgument, var directory])
{
    return await ColdResumeQuick.RunChildAsync(directory);
}

if (args.Contains("--quick"))
{
    return await QuickMode.RunAsync(QuickOptions.Parse(args));
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
