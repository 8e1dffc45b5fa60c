namespace Checkpointing.Benchmarks.Support;

/// <summary>Which Checkpointing.dll a resume child runs.</summary>
public enum ChildImage
{
    /// <summary>The ReadyToRun image the package ships for linux-x64 (made by the same build target as the pack's).</summary>
    ReadyToRun,

    /// <summary>The IL build (what the package ships in lib/, and what runs where no image matches).</summary>
    IL,
}
