#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Set-AmsNotificationChannel, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Set-AmsNotificationChannel' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'resolves -Enable and -Disable to --enabled' -TestCases @(
        @{ Switch = 'Enable'; Flag = '--enabled true' }
        @{ Switch = 'Disable'; Flag = '--enabled false' }
    ) {
        $splat = @{ Name = 'SecOps'; $Switch = $true; Confirm = $false }
        $null = Set-AmsNotificationChannel @splat
        (Get-AmsStubCall).Line | Should -BeExactly "notification-channel set --name SecOps $Flag"
    }

    It 'passes renames, routes, templates and clears' {
        $null = Set-AmsNotificationChannel -Name 'SecOps' -NewName 'Ops' -ClearRouteEvents -BodyTemplate '{{Event}} {{Outcome}}' -RetrySeconds 30 -Confirm:$false
        (Get-AmsStubCall).Line | Should -BeExactly 'notification-channel set --name SecOps --new-name Ops --clear-route-events --body-template {{Event}} {{Outcome}} --retry-seconds 30'
    }

    It 'refuses -Enable with -Disable' {
        { Set-AmsNotificationChannel -Name 'X' -Enable -Disable -ErrorAction Stop } | Should -Throw
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
