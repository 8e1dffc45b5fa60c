using System.Diagnostics;
using System.Globalization;
using Azure.Storage.Blobs;
using Checkpointing.Tests.Support;

namespace Checkpointing.AzureBlob.Tests.Support;

/// <summary>Scenarios a test runs in a real child process; each reports progress on stdout, one line per step that returned.</summary>
/// <remarks>Every scenario gives up after <see cref="SafetyLimit"/>, so a child orphaned by a crashed test runner stops.</remarks>
public static class ChildScenarios
{
    private static readonly TimeSpan SafetyLimit = TimeSpan.FromMinutes(3);

    /// <summary>Starts the named scenario, or returns <see langword="null"/> for a name this assembly does not know.</summary>
    public static Task<int>? Find(string scenario, string[] args) => scenario switch
    {
        "writer" => WriterAsync(args[0], args[1], args[2], int.Parse(args[3], CultureInfo.InvariantCulture)),
        _ => null,
    };

    /// <summary>
    /// Owns the card (waiting for the lease of a killed or frozen owner to expire) and appends one change after another:
    /// change <c>v</c> caches the response <c>change v</c> in stage <c>work</c>, with about <paramref name="pauseMilliseconds"/>
    /// between changes and compactions every few changes. Prints <c>ready &lt;version&gt;</c> once it owns the card,
    /// <c>ack &lt;version&gt;</c> after each save returned, and <c>refused &lt;version&gt;</c> (then exits 0) when a save is
    /// refused because the lease was lost.
    /// </summary>
    private static async Task<int> WriterAsync(string connectionString, string containerName, string cardId, int pauseMilliseconds)
    {
        var container = new BlobContainerClient(connectionString, containerName, AzuriteServer.ClientOptions());
        var options = new AzureBlobCheckpointRepositoryOptions { LeaseDuration = TimeSpan.FromSeconds(15), MinCompactionBytes = 1024 };
        var repository = new AzureBlobCheckpointRepository(container, options);
        await using (repository)
        {
            var ownership = await repository.AcquireOwnershipAsync(cardId, TimeSpan.FromSeconds(90));
            await using (ownership)
            {
                var checkpoint = await repository.LoadAsync(cardId) ?? throw new InvalidOperationException($"card {cardId} is not stored");
                Console.WriteLine($"ready {checkpoint.Version}");
                var watch = Stopwatch.StartNew();
                while (watch.Elapsed < SafetyLimit)
                {
                    var version = checkpoint.Version + 1;
                    var change = new LlmResponseCached(version, DateTimeOffset.UnixEpoch.AddSeconds(version), "work", new LlmResponse($"change {version}", $"answer {version}"));
                    try
                    {
                        await repository.SaveChangeAsync(new AppliedChange(checkpoint, change));
                    }
                    catch (CheckpointLeaseLostException)
                    {
                        Console.WriteLine($"refused {version}");
                        return 0;
                    }

                    checkpoint = change.ApplyTo(checkpoint);
                    Console.WriteLine($"ack {version}");
                    await Task.Delay(Random.Shared.Next(0, pauseMilliseconds * 2));
                }

                Console.WriteLine("gave-up");
                return ChildProcessMain.Failed;
            }
        }
    }
}
