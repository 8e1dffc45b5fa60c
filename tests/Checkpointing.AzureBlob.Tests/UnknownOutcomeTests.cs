using Azure.Core;
using Azure.Storage.Blobs;
using Checkpointing.AzureBlob.Tests.Support;
using Checkpointing.Testing;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace Checkpointing.AzureBlob.Tests;

/// <summary>
/// Writes whose outcome the client cannot know, against a real Azurite: answers lost after the server applied the
/// write (the client's retry policy sends it again), and the server itself killed and restarted in the middle of a run.
/// An append is never applied twice, and nothing acknowledged is lost.
/// </summary>
public sealed class UnknownOutcomeTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public async Task AppendWhoseAnswerIsLost_IsAppliedOnce_AndTheCallReturns(int lostAnswers)
    {
        var (repository, policy, container) = await OpenAsync(LostResponses.IsAppend, lostAnswers);
        var checkpoint = await Cards.CreateAsync(repository, "lost-append");
        await using (await repository.AcquireOwnershipAsync(checkpoint.CardId, TimeSpan.Zero))
        {
            checkpoint = await AppendAsync(repository, checkpoint);
            policy.Enabled = true;
            checkpoint = await AppendAsync(repository, checkpoint);
            policy.Enabled = false;
            policy.Lost.Should().BeGreaterThan(0);
            checkpoint = await AppendAsync(repository, checkpoint);
        }

        var stored = (await new AzureBlobCheckpointRepository(container).LoadAsync(checkpoint.CardId))!;
        stored.ShouldMatch(checkpoint, "each append applied exactly once");
        Cards.ShouldHoldEveryChange(stored);
        output.WriteLine($"{policy.Lost} answers lost; stored version {stored.Version}");
    }

    [Fact]
    public async Task SnapshotWhoseAnswerIsLost_IsResolvedByReadingItBack()
    {
        var (repository, policy, container) = await OpenAsync(LostResponses.IsSnapshotUpload, 1);
        var checkpoint = await Cards.CreateAsync(repository, "lost-snapshot");
        await using (await repository.AcquireOwnershipAsync(checkpoint.CardId, TimeSpan.Zero))
        {
            checkpoint = await AppendAsync(repository, checkpoint);
            policy.Enabled = true;
            await repository.CompactAsync(checkpoint.CardId);
            policy.Enabled = false;
            policy.Lost.Should().Be(1);
            checkpoint = await AppendAsync(repository, checkpoint);
        }

        (await new AzureBlobCheckpointRepository(container).LoadAsync(checkpoint.CardId)).ShouldMatch(checkpoint, "the compaction and the append after it both landed");
    }

    [Fact]
    public async Task CompactionCutOffAfterTheSnapshot_LosesNothing_AndTheNextChangeStartsAGeneration()
    {
        var (repository, policy, container) = await OpenAsync(LostResponses.IsJournalCreation, 0);
        var checkpoint = await Cards.CreateAsync(repository, "cut-compaction");
        await using (await repository.AcquireOwnershipAsync(checkpoint.CardId, TimeSpan.Zero))
        {
            checkpoint = await AppendAsync(repository, checkpoint);
            policy.Enabled = true;
            await repository.CompactAsync(checkpoint.CardId); // the snapshot lands; recreating the journal never answers
            policy.Enabled = false;
            policy.Lost.Should().BeGreaterThan(0);
            (await new AzureBlobCheckpointRepository(container).LoadAsync(checkpoint.CardId)).ShouldMatch(checkpoint, "after the cut-off compaction");
            checkpoint = await AppendAsync(repository, checkpoint);
            checkpoint = await AppendAsync(repository, checkpoint);
        }

        var stored = (await new AzureBlobCheckpointRepository(container).LoadAsync(checkpoint.CardId))!;
        stored.ShouldMatch(checkpoint, "every change after the cut-off compaction");
        Cards.ShouldHoldEveryChange(stored);
    }

    [Fact]
    public async Task AzuriteRestartedMidRun_TheOwnerRecovers_AndNothingAcknowledgedIsLost()
    {
        var container = await azurite.Server.NewContainerAsync("restart");
        var options = new AzureBlobCheckpointRepositoryOptions { LeaseDuration = TimeSpan.FromSeconds(15), MinCompactionBytes = 1024 };
        await using var repository = new AzureBlobCheckpointRepository(container, options);
        var checkpoint = await Cards.CreateAsync(repository, "restart");
        long acknowledged = 1;
        var failures = 0;
        await using (await repository.AcquireOwnershipAsync(checkpoint.CardId, TimeSpan.Zero))
        {
            Task? restart = null;
            for (var i = 0; acknowledged < 60; i++)
            {
                if (i == 20)
                {
                    await azurite.Server.StopAsync(); // the next writes fail for certain, however fast the machine is
                }

                try
                {
                    checkpoint = await AppendAsync(repository, checkpoint);
                    acknowledged = checkpoint.Version;
                }
                catch (Exception ex) when (ex is not CheckpointLeaseLostException)
                {
                    failures++;
                    failures.Should().BeLessThan(100, "the store recovers once the server is back ({0})", ex.Message);
                    restart ??= azurite.Server.StartAgainAsync(); // writes go on while the server starts
                    await Task.Delay(100);
                    try
                    {
                        // The write may have landed: the owner reads the card back, and the next change follows what is stored.
                        checkpoint = await repository.LoadAsync(checkpoint.CardId) ?? throw new InvalidOperationException("the card vanished");
                    }
                    catch (CheckpointBlobStoreException reload) when (reload.IsTransient)
                    {
                        output.WriteLine($"reload failed: {reload.Status} {reload.InnerException?.GetType().Name}");
                    }
                }
            }

            await restart!;
        }

        output.WriteLine($"{failures} writes failed while Azurite was down; {acknowledged} acknowledged");
        failures.Should().BeGreaterThan(0, "the server was down for a while");
        var stored = (await new AzureBlobCheckpointRepository(container).LoadAsync(checkpoint.CardId))!;
        stored.Version.Should().Be(acknowledged);
        Cards.ShouldHoldEveryChange(stored);
    }

    private static async Task<PipelineCheckpoint> AppendAsync(ICheckpointRepository repository, PipelineCheckpoint checkpoint)
    {
        var version = checkpoint.Version + 1;
        var change = new LlmResponseCached(version, CheckpointSamples.At((int)version), "work", new LlmResponse($"change {version}", $"answer {version}"));
        var applied = new AppliedChange(checkpoint, change);
        await repository.SaveChangeAsync(applied);
        return applied.Checkpoint;
    }

    private async Task<(AzureBlobCheckpointRepository Repository, LostResponses Policy, BlobContainerClient Container)> OpenAsync(Func<Request, bool> matches, int times)
    {
        var container = await azurite.Server.NewContainerAsync("lost");
        var policy = new LostResponses(matches, times);
        var options = AzuriteServer.ClientOptions();
        options.AddPolicy(policy, HttpPipelinePosition.PerRetry);
        var lossy = new BlobContainerClient(azurite.Server.ConnectionString, container.Name, options);
        return (new AzureBlobCheckpointRepository(lossy), policy, container);
    }
}
