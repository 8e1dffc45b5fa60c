using System.Text.Json;

namespace Checkpointing.Json;

/// <summary>
/// Reads <c>card_id</c> from the start of a snapshot document, for stores that name a card's document by a hash of
/// its id and must list the ids without reading (or size-checking) whole documents.
/// </summary>
internal static class SnapshotCardId
{
    /// <summary>How much of a document to read: <c>card_id</c> is the second field; even a very long id and checkpoint_id fit.</summary>
    public const int PrefixBytes = 64 * 1024;

    /// <summary>Reads <c>card_id</c> from the first bytes of a document.</summary>
    /// <param name="prefix">The first bytes (up to <see cref="PrefixBytes"/>).</param>
    /// <param name="isWholeDocument">Whether <paramref name="prefix"/> is the whole document.</param>
    /// <returns>The id, or <see langword="null"/> when these bytes do not start a document with a string <c>card_id</c>.</returns>
    public static string? TryRead(ReadOnlySpan<byte> prefix, bool isWholeDocument)
    {
        var reader = new Utf8JsonReader(prefix, isFinalBlock: isWholeDocument, state: default);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1
                    && reader.ValueTextEquals(CheckpointJsonNames.CardId) && reader.Read() && reader.TokenType == JsonTokenType.String)
                {
                    return reader.GetString();
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return null; // not JSON, or a card_id that cannot be decoded: not a card this store wrote
        }

        return null;
    }
}
