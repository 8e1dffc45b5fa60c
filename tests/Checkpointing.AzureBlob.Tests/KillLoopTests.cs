using Azure.Storage.Blobs;
using Checkpointing.AzureBlob.Tests.Support;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace Checkpointing.AzureBlob.Tests;

/// <summary>
/// A writer process appending changes (and compacting every few) is killed with SIGKILL at random moments, again and
/// again; each next writer waits for the dead one's lease to expire. No acknowledged change is ever lost, none is stored
/// twice, and the stored version never goes backwards.
/// </summary>
public sealed class KillLoopTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    private const int Rounds = 5;

    [Fact]
    public async Task WriterKilledAtRandomMoments_LosesNoAcknowledgedChange_AndTheVersionNeverGoesBack()
    {
        var container = await azurite.Server.NewContainerAsync("kill");
        var reader = new AzureBlobCheckpointRepository(container);
        var card = await Cards.CreateAsync(reader, "kill-loop");
        var random = new Random(14);
        long acknowledged = 0, stored = 1;
        for (var round = 0; round < Rounds; round++)
        {
            using var child = ChildProcess.Start("writer", azurite.Server.ConnectionString, container.Name, card.CardId, "5");
            await child.WaitForLineAsync(line => line.StartsWith("ready ", StringComparison.Ordinal), TimeSpan.FromSeconds(90));
            await Task.Delay(random.Next(0, 1500));
            var lines = await child.KillHardAndDrainAsync();
            acknowledged = Math.Max(acknowledged, lines.Where(l => l.StartsWith("ack ", StringComparison.Ordinal)).Select(l => long.Parse(l[4..], System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max());

            var checkpoint = (await reader.LoadAsync(card.CardId))!;
            output.WriteLine($"round {round}: {lines.Count(l => l.StartsWith("ack ", StringComparison.Ordinal))} changes acknowledged, highest {acknowledged}; stored version {checkpoint.Version}");
            checkpoint.Version.Should().BeGreaterThanOrEqualTo(acknowledged, "no acknowledged change is lost (round {0})", round);
            checkpoint.Version.Should().BeGreaterThanOrEqualTo(stored, "the version never goes backwards (round {0})", round);
            Cards.ShouldHoldEveryChange(checkpoint);
            stored = checkpoint.Version;
        }

        await container.DeleteIfExistsAsync();
    }
}
