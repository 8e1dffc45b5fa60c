using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Checkpointing;

/// <summary>Settings of <see cref="CheckpointingChatClient"/>.</summary>
public sealed class CheckpointingChatClientOptions
{
    private JsonSerializerOptions _serializerOptions = AIJsonUtilities.DefaultOptions;
    private string _currency = "USD";

    /// <summary>Gets or sets what a call outside any stage does: by default it passes through, uncached.</summary>
    public OutsideStageBehavior OutsideStage { get; set; } = OutsideStageBehavior.PassThrough;

    /// <summary>
    /// Gets or sets the serializer of the stored <see cref="ChatResponse"/> and of values this library does not know in
    /// requests (function arguments and results, additional properties). Defaults to <see cref="AIJsonUtilities.DefaultOptions"/>;
    /// give options whose resolver knows your own types when your tools take or return them.
    /// </summary>
    public JsonSerializerOptions SerializerOptions
    {
        get => _serializerOptions;
        set => _serializerOptions = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>
    /// Gets or sets how much a response cost, from its usage and model, so <see cref="CheckpointManager.GetCostReport"/>
    /// and the <c>checkpointing.llm.cost_saved</c> counter show money as well as tokens. <see langword="null"/> (the
    /// default) records tokens only.
    /// </summary>
    public Func<ChatResponse, decimal?>? EstimateCost { get; set; }

    /// <summary>Gets or sets the ISO 4217 currency of <see cref="EstimateCost"/>; <c>USD</c> by default.</summary>
    public string Currency
    {
        get => _currency;
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value);
            _currency = value;
        }
    }
}
