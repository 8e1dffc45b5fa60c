using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Checkpointing.Extensions.DependencyInjection.Tests;

/// <summary>The code of src/Checkpointing.Extensions.DependencyInjection/README.md, compiled here (ReadmeSnippetTests checks they match).</summary>
public static class PackageReadmeExample
{
    public static void Register(IServiceCollection services, IConfiguration configuration)
    {
        services.AddCheckpointing(configuration)   // reads the "Checkpointing" section
            .UseFileSystem();                        // or UseInMemory(), UseSqlite(path), UsePostgreSql(...)
    }

    public static async Task RunAsync(ICheckpointManagerFactory factory)
    {
        await using var manager = factory.Create("CARD-123");
        await manager.ResumeOrCreateAsync(totalStages: 5);
    }
}
