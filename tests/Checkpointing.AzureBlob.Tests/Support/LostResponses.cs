using Azure.Core;
using Azure.Core.Pipeline;

namespace Checkpointing.AzureBlob.Tests.Support;

/// <summary>
/// A pipeline policy that lets chosen requests reach the server and then throws as if the connection dropped before the
/// answer arrived: the write is applied, the client does not know it, and its retry policy sends the request again.
/// </summary>
/// <param name="matches">Which requests lose their answer.</param>
/// <param name="times">How many answers are lost (0: every one).</param>
public sealed class LostResponses(Func<Request, bool> matches, int times) : HttpPipelinePolicy
{
    private int _lost;

    /// <summary>Gets how many answers were lost.</summary>
    public int Lost => Volatile.Read(ref _lost);

    /// <summary>Gets or sets a value indicating whether answers are being lost.</summary>
    public bool Enabled { get; set; }

    /// <summary>Matches an append to an append blob.</summary>
    public static bool IsAppend(Request request) => request.Method == RequestMethod.Put && request.Uri.Query.Contains("comp=appendblock", StringComparison.Ordinal);

    /// <summary>Matches an upload of a whole block blob whose name ends with <c>.json</c> (a snapshot).</summary>
    public static bool IsSnapshotUpload(Request request) =>
        request.Method == RequestMethod.Put && request.Uri.Path.EndsWith(".json", StringComparison.Ordinal) && !request.Uri.Query.Contains("comp=", StringComparison.Ordinal);

    /// <summary>Matches the creation of a journal (a new, empty append blob), step 2 of a compaction.</summary>
    public static bool IsJournalCreation(Request request) =>
        request.Method == RequestMethod.Put && request.Uri.Path.EndsWith(".journal", StringComparison.Ordinal) && !request.Uri.Query.Contains("comp=", StringComparison.Ordinal);

    /// <inheritdoc/>
    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => throw new NotSupportedException("the store is async");

    /// <inheritdoc/>
    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        await ProcessNextAsync(message, pipeline);
        if (Enabled && matches(message.Request) && (times == 0 || Lost < times))
        {
            Interlocked.Increment(ref _lost);
            throw new IOException($"test: the answer to {message.Request.Method} {message.Request.Uri} was lost (status {message.Response.Status} never arrived)");
        }
    }
}
