#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Invoke-AmsNotificationDelivery, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Invoke-AmsNotificationDelivery' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'runs the due deliveries, at a given time if asked' {
        $null = Invoke-AmsNotificationDelivery
        $null = Invoke-AmsNotificationDelivery -Now '2026-03-01T12:00:00Z'
        $calls = @(Get-AmsStubCall)
        $calls[0].Line | Should -BeExactly 'notify run-due'
        $calls[1].Line | Should -BeExactly 'notify run-due --now 2026-03-01T12:00:00Z'
    }
}
