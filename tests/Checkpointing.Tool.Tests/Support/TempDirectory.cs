namespace Checkpointing.Tool.Tests.Support;

/// <summary>A directory of one test, deleted afterwards.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = System.IO.Directory.CreateTempSubdirectory("checkpointing-tool-").FullName;

    public string Store => "file:" + Path;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
