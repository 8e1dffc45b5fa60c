using System.Reflection.PortableExecutable;

namespace Checkpointing.Benchmarks.Support;

/// <summary>Tells an assembly file with ReadyToRun (precompiled) code from one with IL only.</summary>
internal static class AssemblyImage
{
    /// <summary>Returns "ReadyToRun" or "IL" for the assembly at <paramref name="path"/>.</summary>
    public static string KindOf(string path)
    {
        using var file = File.OpenRead(path);
        using var pe = new PEReader(file);
        return pe.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0 ? "ReadyToRun" : "IL";
    }
}
