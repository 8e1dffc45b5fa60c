namespace Checkpointing.Benchmarks.Quick;

/// <summary>
/// One resume in a fresh process: milliseconds from process start to ready, ResumeAsync inside the child, the child's
/// JIT counts, the kind of Checkpointing.dll it ran, and the CPU milliseconds it had used by then (all threads).
/// </summary>
internal sealed record ChildResult(double Total, double InChild, double JittedMethods, double JitMs, string Kind, double CpuMs);
