using Checkpointing.Benchmarks.Quick;

// Checkpointing.ResumeChild.Aot DIR: resumes the benchmark card in DIR as quick (h)'s child does (see ResumeChild),
// from a native binary: no JIT, and no runtime start-up beyond the binary's own.
if (args is not [var directory])
{
    await Console.Error.WriteLineAsync("usage: Checkpointing.ResumeChild.Aot DIR");
    return 2;
}

return await ResumeChild.RunAsync(directory, () => "NativeAOT");
