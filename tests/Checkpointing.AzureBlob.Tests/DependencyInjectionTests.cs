using Checkpointing.AzureBlob.Tests.Support;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Checkpointing.AzureBlob.Tests;

/// <summary><c>AddCheckpointing().UseAzureBlob(...)</c>: managers from the container write to the container's blobs.</summary>
public sealed class DependencyInjectionTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task UseAzureBlob_WithAContainerClient_ManagersStoreTheirCardsThere_AndTheStoreIsReleasedWithTheContainer()
    {
        var container = await azurite.Server.NewContainerAsync("di");
        var services = new ServiceCollection();
        services.AddCheckpointing().UseAzureBlob(container, options => options.LeaseDuration = TimeSpan.FromSeconds(15));

        await using (var provider = services.BuildServiceProvider())
        {
            var manager = provider.GetRequiredService<ICheckpointManagerFactory>().Create("CARD-DI");
            await manager.ResumeOrCreateAsync(1);
            await manager.SaveStageCheckpointAsync("plan", StageStatus.Completed);
            provider.GetRequiredService<ICheckpointRepository>().Should().BeOfType<AzureBlobCheckpointRepository>();
        }   // the manager is left open on purpose: the container disposes it, then the store

        (await container.GetBlobClient("CARD-DI.journal").ExistsAsync()).Value.Should().BeTrue();
        await using var store = new AzureBlobCheckpointRepository(container);
        await using var next = new CheckpointManager("CARD-DI", store);
        (await next.ResumeOrCreateAsync(1)).CompletedStages.Should().Equal(["plan"], "the card was released at once and nothing was lost");
    }

    [Fact]
    public async Task UseAzureBlob_WithAConnectionString_ReachesThatContainer()
    {
        var container = await azurite.Server.NewContainerAsync("di");
        var services = new ServiceCollection();
        services.AddCheckpointing().UseAzureBlob(azurite.Server.ConnectionString, container.Name);

        await using var provider = services.BuildServiceProvider();
        await using (var manager = provider.GetRequiredService<ICheckpointManagerFactory>().Create("CARD-CS"))
        {
            await manager.ResumeOrCreateAsync(1);
        }

        (await container.GetBlobClient("CARD-CS.json").ExistsAsync()).Value.Should().BeTrue();
    }
}
