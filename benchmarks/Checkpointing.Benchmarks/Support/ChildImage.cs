namespace Checkpointing.Benchmarks.Support;

/// <summary>Which Checkpointing.dll a resume child runs (or, for comparison only, a NativeAOT-compiled child).</summary>
public enum ChildImage
{
    /// <summary>The ReadyToRun image the package ships for linux-x64 (made by the same build target as the pack's).</summary>
    ReadyToRun,

    /// <summary>The IL build (what the package ships in lib/, and what runs where no image matches).</summary>
    IL,

    /// <summary>
    /// The child compiled ahead of time (benchmarks/Checkpointing.ResumeChild.Aot, published by hand): not what the
    /// package ships, so never what the targets are judged on; it shows what is left without JIT and runtime start-up.
    /// </summary>
    NativeAot,
}
