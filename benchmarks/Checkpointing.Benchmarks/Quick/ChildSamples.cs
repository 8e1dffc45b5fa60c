namespace Checkpointing.Benchmarks.Quick;

/// <summary>The samples of one kind of resume child (see <see cref="ColdResumeQuick"/>).</summary>
internal sealed class ChildSamples
{
    public Samples Total { get; } = new();

    public Samples InChild { get; } = new();

    public Samples JittedMethods { get; } = new();

    public Samples JitMs { get; } = new();

    public Samples CpuMs { get; } = new();

    /// <summary>Gets the kind of Checkpointing.dll the children reported ("ReadyToRun" or "IL").</summary>
    public string Kind { get; private set; } = "";

    public void Add(ChildResult child)
    {
        Total.Add(child.Total);
        InChild.Add(child.InChild);
        JittedMethods.Add(child.JittedMethods);
        JitMs.Add(child.JitMs);
        CpuMs.Add(child.CpuMs);
        Kind = child.Kind;
    }
}
