namespace Checkpointing;

/// <summary>One chat message of an <see cref="LlmRequest"/>.</summary>
/// <param name="Role">The speaker: <c>system</c>, <c>user</c>, <c>assistant</c>, <c>tool</c>, ...</param>
/// <param name="Content">The text.</param>
public sealed record LlmMessage(string Role, string Content)
{
    /// <summary>Gets the optional participant or tool name.</summary>
    public string? Name { get; init; }
}
