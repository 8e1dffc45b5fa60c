namespace Checkpointing.Benchmarks.Support;

/// <summary>
/// The benchmark's own files, as a resume child runs them: as built (Checkpointing.dll is IL), or a copy in which
/// Checkpointing.dll is the linux-x64 ReadyToRun image. The build puts that image in <c>readytorun/</c> beside the
/// benchmark; it is made by <c>CreateReadyToRunPackageImages</c> (build/ReadyToRunPackage.targets) from the same IL, the
/// file <c>dotnet pack</c> puts in <c>runtimes/linux-x64/lib/net10.0/</c>.
/// </summary>
internal static class ResumeChildApps
{
    private const string LibraryFile = "Checkpointing.dll";
    private static readonly Lock Gate = new();
    private static string? _readyToRunApp;

    /// <summary>Gets the image the build placed beside the benchmark, or null where there is none (not linux-x64).</summary>
    public static string? ReadyToRunImage
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "readytorun", LibraryFile);
            return File.Exists(path) ? path : null;
        }
    }

    /// <summary>The command that publishes the NativeAOT child (it needs clang).</summary>
    public const string NativeAotPublishCommand = "dotnet publish benchmarks/Checkpointing.ResumeChild.Aot -c Release -r linux-x64";

    /// <summary>
    /// Gets the NativeAOT-compiled resume child where <see cref="NativeAotPublishCommand"/> put it beside this benchmark's
    /// own build (benchmarks/Checkpointing.ResumeChild.Aot/bin/Release/net10.0/linux-x64/publish/), or null.
    /// </summary>
    public static string? NativeAotChild
    {
        get
        {
            var benchmarks = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", ".."));
            var path = Path.Combine(benchmarks, "Checkpointing.ResumeChild.Aot", "bin", "Release", "net10.0", "linux-x64", "publish", "Checkpointing.ResumeChild.Aot");
            return File.Exists(path) ? path : null;
        }
    }

    /// <summary>Returns the folder of the app that runs <paramref name="image"/>; the ReadyToRun copy is made once, under <paramref name="root"/>.</summary>
    public static string AppDirectory(ChildImage image, string root)
    {
        if (image == ChildImage.IL)
        {
            return AppContext.BaseDirectory;
        }

        lock (Gate)
        {
            if (_readyToRunApp is null)
            {
                var source = ReadyToRunImage ?? throw new InvalidOperationException(
                    $"No ReadyToRun image of {LibraryFile} beside the benchmark (readytorun/): it is built for linux-x64 only.");
                var app = System.IO.Directory.CreateDirectory(Path.Combine(root, "readytorun-app")).FullName;
                CopyTree(AppContext.BaseDirectory, app);
                File.Copy(source, Path.Combine(app, LibraryFile), overwrite: true);
                _readyToRunApp = app;
            }

            return _readyToRunApp;
        }
    }

    private static void CopyTree(string source, string target)
    {
        foreach (var directory in System.IO.Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
        {
            System.IO.Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, directory)));
        }

        foreach (var file in System.IO.Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(target, Path.GetRelativePath(source, file)), overwrite: true);
        }
    }
}
